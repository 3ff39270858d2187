import { createReadStream, existsSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { telephony } from '@outdial/contracts';
import { assertCan, notFound } from '@outdial/engine';
import { agentPhoneOf } from '../../telephony-config.ts';
import { principalOf, type RouteContext } from '../context.ts';

/** Trunks, recordings and caller-ID health: thin handlers over TelephonyService; the agent's own phone. */
export const telephonyRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const svc = ctx.services.telephony;

    // The agent's own phone (no credentials: the agents' registrar is expected on a trusted network, docs/telephony.md).
    app.route({
      ...telephony.myPhone,
      handler: async (req) => {
        const p = principalOf(req);
        assertCan(p, 'calls:handle');
        return agentPhoneOf(ctx.config.telephony, p.username);
      },
    });

    app.route({ ...telephony.listTrunks, handler: async (req) => svc.listTrunks(principalOf(req)) });

    app.route({ ...telephony.getTrunk, handler: async (req) => svc.getTrunk(principalOf(req), req.params.id) });

    app.route({
      ...telephony.createTrunk,
      handler: async (req, reply) => {
        const b = req.body;
        // JSON null arrives as "" (the schema coerces): no credentials either way.
        const t = await svc.createTrunk(
          principalOf(req),
          { ...b, username: b.username || null, password: b.password || null },
          req.ip,
        );
        return reply.status(201).send(t);
      },
    });

    app.route({
      ...telephony.updateTrunk,
      handler: async (req) => {
        const b = { ...req.body };
        if ('username' in b) b.username = b.username || null;
        if ('password' in b) b.password = b.password || null;
        return svc.updateTrunk(principalOf(req), req.params.id, b, req.ip);
      },
    });

    app.route({
      ...telephony.deleteTrunk,
      handler: async (req, reply) => {
        await svc.deleteTrunk(principalOf(req), req.params.id, req.ip);
        return reply.status(204).send(null);
      },
    });

    app.route({
      ...telephony.getRecording,
      handler: async (req) => {
        const r = await svc.recording(principalOf(req), req.params.id, 'info', req.ip);
        return {
          attemptId: r.attemptId,
          durationMs: r.durationMs,
          agentUserId: r.agentUserId,
          createdAt: r.createdAt,
          expiresAt: r.expiresAt,
          url: `/api/v1/attempts/${r.attemptId}/recording.wav`,
        };
      },
    });

    app.route({
      ...telephony.playRecording,
      handler: async (req, reply) => {
        const download = req.query.download === '1';
        const r = await svc.recording(principalOf(req), req.params.id, download ? 'download' : 'play', req.ip);
        if (!existsSync(r.path)) throw notFound('recording file');
        return sendWav(reply, r.path, `call-${r.attemptId}.wav`, download);
      },
    });

    app.route({
      ...telephony.callerIdHealth,
      handler: async (req) =>
        svc.callerIdHealth(principalOf(req), { projectCode: req.query.project, days: req.query.days ?? 7 }),
    });
  };

/** Streams a WAV file (the schema's string is the documented body; the stream is sent as is). */
function sendWav(reply: FastifyReply, path: string, filename: string, download: boolean) {
  return reply
    .header('content-type', 'audio/wav')
    .header('content-disposition', `${download ? 'attachment' : 'inline'}; filename="${filename}"`)
    .send(createReadStream(path));
}
