import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { NextStep } from '@outdial/domain/compliance';
import { assertCan, notFound } from '@outdial/engine';
import { principalOf, type HttpContext } from '../context.ts';
import { DateTime, NullableDateTime, Uuid } from '../schemas.ts';

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
const Next = Type.Object({
  kind: Type.Union([Type.Literal('closed'), Type.Literal('callback'), Type.Literal('retry')]),
  reason: Type.Optional(Type.String()),
  at: Type.Optional(DateTime),
});
const Disposition = Type.Object({
  id: Uuid,
  attemptId: Type.Union([Uuid, Type.Null()]),
  contactId: Uuid,
  agentUserId: Type.Union([Uuid, Type.Null()]),
  code: Type.String(),
  notes: Type.String(),
  callbackAt: NullableDateTime,
  createdAt: DateTime,
});
const Attempt = Type.Object({
  id: Uuid,
  campaignId: Type.Union([Uuid, Type.Null()]),
  contactId: Uuid,
  dialMode: Type.String(),
  agentUserId: Type.Union([Uuid, Type.Null()]),
  placedAt: DateTime,
  answeredAt: NullableDateTime,
  connectedAt: NullableDateTime,
  endedAt: NullableDateTime,
  outcome: Type.Union([Type.String(), Type.Null()]),
  hangupSide: Type.Union([Type.String(), Type.Null()]),
  sipCause: Type.Union([Type.Integer(), Type.Null()]),
  amdResult: Type.Union([Type.String(), Type.Null()]),
  abandoned: Type.Boolean(),
  disposition: Type.Union([Disposition, Type.Null()]),
});

const nextView = (n: NextStep) =>
  n.kind === 'closed' ? { kind: n.kind, reason: n.reason } : { kind: n.kind, at: new Date(n.at) };

/** Call attempts, dispositions (落单) and the dialer's agents, over REST (the WebSocket carries the same). */
export const callRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/attempts/:id',
      {
        schema: {
          tags: ['calls'],
          summary: 'One call attempt: its outcome record and its disposition (agents: their own calls)',
          params: Type.Object({ id: Uuid }),
          response: { 200: Attempt },
        },
      },
      async (req) => {
        const p = principalOf(req);
        assertCan(p, 'calls:handle');
        const a = await ctx.repos.attempts.get(req.params.id);
        if (!a || a.orgId !== p.orgId || (p.role === 'agent' && a.agentUserId !== p.userId))
          throw notFound('call attempt');
        return { ...a, disposition: (await ctx.repos.dispositions.forAttempt(a.id)) ?? null };
      },
    );

    app.post(
      '/attempts/:id/disposition',
      {
        schema: {
          tags: ['calls'],
          summary:
            "Record the disposition (落单) of a call that reached an agent: a code from the project's list, notes, an optional callback. Decides the contact's next step; ends the agent's wrap-up (then ready, or the pause given).",
          params: Type.Object({ id: Uuid }),
          body: Type.Object({
            code: Code,
            notes: Type.Optional(Type.String({ maxLength: 4000 })),
            callbackAt: Type.Optional(Type.String({ format: 'date-time' })),
            pause: Type.Optional(Code),
            answers: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          }),
          response: { 201: Type.Object({ disposition: Disposition, next: Next, addedToDnc: Type.Boolean() }) },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const b = req.body;
        const r = await ctx.services.dispositions.record(p, req.params.id, {
          code: b.code,
          notes: b.notes,
          callbackAt: b.callbackAt ? new Date(b.callbackAt) : null,
          answers: b.answers,
        });
        ctx.dialer?.dispositionRecorded(r.disposition.agentUserId ?? p.userId, req.params.id, Date.now(), b.pause);
        return reply.status(201).send({ disposition: r.disposition, next: nextView(r.next), addedToDnc: r.addedToDnc });
      },
    );

    app.get(
      '/dialer/agents',
      {
        schema: {
          tags: ['calls'],
          summary: "Agents logged in to this node's dialer and their states (supervisors)",
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  agentId: Uuid,
                  status: Type.String(),
                  since: DateTime,
                  callId: Type.Union([Uuid, Type.Null()]),
                  pauseReason: Type.Union([Type.String(), Type.Null()]),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        const p = principalOf(req);
        assertCan(p, 'campaigns:read');
        const items = (ctx.dialer?.desk.all() ?? [])
          .filter((a) => a.orgId === null || a.orgId === p.orgId)
          .map((a) => ({
            agentId: a.id,
            status: a.state.status,
            since: new Date(a.state.since),
            callId: a.state.callId,
            pauseReason: a.state.pauseReason,
          }));
        return { items };
      },
    );
  };
