import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { calls } from '@outdial/contracts';
import type { NextStep } from '@outdial/domain/compliance';
import { AppError, resolveDialTarget } from '@outdial/engine';
import { principalOf, type RouteContext } from '../context.ts';

const nextView = (n: NextStep) =>
  n.kind === 'closed' ? { kind: n.kind, reason: n.reason } : { kind: n.kind, at: new Date(n.at) };

/** Call attempts, dispositions (落单) and the dialer's agents, over REST (the WebSocket carries the same). */
export const callRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...calls.getAttempt,
      handler: async (req) => ctx.services.dispositions.attempt(principalOf(req), req.params.id),
    });

    app.route({
      ...calls.recordDisposition,
      handler: async (req, reply) => {
        const b = req.body;
        const r = await ctx.services.dispositions.record(principalOf(req), req.params.id, {
          code: b.code,
          notes: b.notes,
          callbackAt: b.callbackAt ? new Date(b.callbackAt) : null,
          answers: b.answers,
          pause: b.pause,
          order: b.order,
        });
        return reply.status(201).send({ ...r, next: nextView(r.next) });
      },
    });

    app.route({
      ...calls.dial,
      handler: async (req, reply) => {
        const p = principalOf(req);
        if (ctx.gateway) return reply.status(201).send(await ctx.gateway.dial(p, req.body));
        // No dialer on this node: the request is still checked (who, which contact) before saying so.
        await resolveDialTarget({ repos: ctx.repos, contactsApi: ctx.services.contactsApi }, p, req.body);
        throw new AppError('invalid_state', 'the dialer does not run on this node', { reason: 'no_dialer' });
      },
    });

    app.route({
      ...calls.listDialerAgents,
      handler: async (req) => ({ items: ctx.monitor.agents(principalOf(req)) }),
    });
  };
