import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { questionnaires as q } from '@outdial/contracts';
import type { BankRow } from '@outdial/engine';
import { principalOf, type RouteContext } from '../context.ts';

/** Questionnaires and scripts (问卷): the bank, questionnaires and versions, a call's script and answers, knowledge prompts. */
export const questionnaireRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  (app) => {
    const svc = ctx.services.questionnaires;

    app.route({
      ...q.listBankQuestions,
      handler: async (req) => ({ items: (await svc.bankList(principalOf(req), req.query.category)).map(bankView) }),
    });
    app.route({
      ...q.createBankQuestion,
      handler: async (req, reply) => reply.status(201).send(bankView(await svc.bankCreate(principalOf(req), req.body))),
    });
    app.route({
      ...q.updateBankQuestion,
      handler: async (req) => bankView(await svc.bankUpdate(principalOf(req), req.params.code, req.body)),
    });

    app.route({
      ...q.listQuestionnaires,
      handler: async (req) => ({ items: await svc.list(principalOf(req), req.params.code) }),
    });
    app.route({
      ...q.importQuestionnaire,
      handler: async (req, reply) => {
        const r = await svc.import(principalOf(req), req.params.code, req.body);
        return reply.status(r.created ? 201 : 200).send(r.questionnaire);
      },
    });
    app.route({
      ...q.checkQuestionnaire,
      handler: async (req) => svc.check(principalOf(req), req.params.code, req.body),
    });
    app.route({ ...q.getQuestionnaire, handler: async (req) => svc.get(principalOf(req), req.params.id) });
    app.route({
      ...q.exportQuestionnaire,
      handler: async (req, reply) => {
        const doc = await svc.document(principalOf(req), req.params.id, req.query.version);
        const name = `${doc.code}${req.query.version ? `-v${req.query.version}` : ''}.questionnaire.json`;
        return reply.header('content-disposition', `attachment; filename="${name}"`).send(doc);
      },
    });
    app.route({
      ...q.publishQuestionnaire,
      handler: async (req, reply) => reply.status(201).send(await svc.publish(principalOf(req), req.params.id)),
    });
    app.route({ ...q.activateQuestionnaire, handler: async (req) => svc.activate(principalOf(req), req.params.id) });
    app.route({
      ...q.getQuestionnaireVersion,
      handler: async (req) => svc.version(principalOf(req), req.params.id, req.params.version),
    });

    app.route({ ...q.getCallScript, handler: async (req) => svc.script(principalOf(req), req.params.id) });
    app.route({
      ...q.saveCallAnswers,
      handler: async (req) => svc.saveAnswers(principalOf(req), req.params.id, req.body.answers),
    });
    app.route({
      ...q.postTranscript,
      handler: async (req) => svc.transcript(principalOf(req), req.params.id, req.body.text),
    });

    app.route({
      ...q.getKnowledge,
      handler: async (req) => ({ rules: await svc.knowledge(principalOf(req), req.params.code) }),
    });
    app.route({
      ...q.replaceKnowledge,
      handler: async (req) => ({
        rules: await svc.replaceKnowledge(principalOf(req), req.params.code, req.body.rules),
      }),
    });
    return Promise.resolve();
  };

/** A bank row as the API shows it: the question's own properties at the top. */
function bankView(r: BankRow) {
  return { ...r.question, code: r.code, category: r.category, createdAt: r.createdAt, updatedAt: r.updatedAt };
}
