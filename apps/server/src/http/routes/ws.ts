import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { WebSocket } from 'ws';
import { AppError, type ClientMessage, type Principal, type ServerMessage, type SessionHandle } from '@outdial/engine';
import { bearerToken, type HttpContext } from '../context.ts';

const Id = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()]));
const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
const Variants = [
  Type.Object({ type: Type.Literal('auth'), token: Type.String({ minLength: 1, maxLength: 200 }), id: Id }),
  Type.Object({ type: Type.Literal('login'), id: Id }),
  Type.Object({ type: Type.Literal('ready'), id: Id }),
  Type.Object({ type: Type.Literal('pause'), reason: Code, id: Id }),
  Type.Object({ type: Type.Literal('logout'), id: Id }),
  Type.Object({ type: Type.Literal('heartbeat'), id: Id }),
  Type.Object({ type: Type.Literal('hangup'), id: Id }),
  Type.Object({ type: Type.Literal('preview_dial'), id: Id }),
  Type.Object({ type: Type.Literal('preview_skip'), reason: Code, id: Id }),
  Type.Object({
    type: Type.Literal('disposition'),
    code: Code,
    notes: Type.Optional(Type.String({ maxLength: 4000 })),
    callbackAt: Type.Optional(Type.String({ maxLength: 40 })),
    pause: Type.Optional(Code),
    id: Id,
  }),
  Type.Object({ type: Type.Literal('subscribe'), campaignId: Type.String({ format: 'uuid' }), id: Id }),
  Type.Object({ type: Type.Literal('unsubscribe'), campaignId: Type.String({ maxLength: 64 }), id: Id }),
] as const;
const Message = Type.Union([...Variants]);
/** One compiled validator per message type, so an error names the field of the message meant. */
const byType = new Map(Variants.map((v) => [v.properties.type.const as string, Compile(v)]));
type Incoming = Static<typeof Message>;

/** How long a connection may stay unauthenticated. */
const AUTH_WITHIN_MS = 10_000;
/** The server pings this often; a client that answers neither pings nor messages is dropped by the gateway. */
const PING_MS = 5000;

/**
 * `GET /api/v1/ws` — the agents' and supervisors' live connection (JSON messages, see
 * docs/websocket.md). Authenticate with `Authorization: Bearer <token>` on the upgrade, or, from
 * a browser, with `{"type":"auth","token":"…"}` as the first message. Messages are validated
 * here; what they mean is the engine's AgentGateway.
 */
export const wsRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const gateway = ctx.gateway;
    if (!gateway) return;
    app.get('/ws', { websocket: true, config: { public: true }, schema: { hide: true } }, (socket: WebSocket, req) => {
      const send = (
        m: ServerMessage | { type: 'error'; id: null; code: string; message: string; details?: unknown },
      ) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
      };
      let handle: SessionHandle | undefined;
      let authenticating = false;
      const queued: Incoming[] = [];
      const attach = (p: Principal) => {
        handle = gateway.open(p, { send, close: (reason) => socket.close(4000, reason.slice(0, 120)) });
      };
      const authTimer = setTimeout(() => {
        if (!handle) socket.close(4001, 'authentication required');
      }, AUTH_WITHIN_MS);
      const ping = setInterval(() => {
        if (socket.readyState === socket.OPEN) socket.ping();
      }, PING_MS);
      const authenticate = async (token: string) => {
        authenticating = true;
        try {
          const principal = await ctx.services.auth.authenticate(token);
          // The socket may have closed while the token was checked: then there is nobody to attach.
          if (socket.readyState !== socket.OPEN) return;
          attach(principal);
          clearTimeout(authTimer);
          for (const m of queued.splice(0)) deliver(m);
        } catch (err) {
          send({
            type: 'error',
            id: null,
            code: 'unauthenticated',
            message: err instanceof AppError ? err.message : 'authentication failed',
          });
          socket.close(4001, 'unauthenticated');
        } finally {
          authenticating = false;
        }
      };
      const deliver = (m: Incoming) => {
        if (m.type === 'auth')
          return send({ type: 'error', id: m.id ?? null, code: 'invalid_state', message: 'already authenticated' });
        void handle!.receive(m as ClientMessage);
      };
      socket.on('pong', () => handle?.seen());
      socket.on('message', (data, isBinary) => {
        let m: unknown;
        try {
          m = isBinary ? undefined : JSON.parse(String(data));
        } catch {
          m = undefined;
        }
        const problem = invalidMessage(m);
        if (problem) return send({ type: 'error', id: replyId(m), code: 'validation_failed', message: problem });
        const msg = m as Incoming; // validated just above
        if (handle) return deliver(msg);
        if (msg.type === 'auth' && !authenticating) return void authenticate(msg.token);
        if (authenticating) return void queued.push(msg);
        send({
          type: 'error',
          id: msg.id ?? null,
          code: 'unauthenticated',
          message: 'send {"type":"auth","token":"…"} first (or connect with Authorization: Bearer)',
        });
      });
      socket.on('close', () => {
        clearTimeout(authTimer);
        clearInterval(ping);
        handle?.closed();
      });
      const token = bearerToken(req);
      if (token) void authenticate(token);
    });
  };

function replyId(m: unknown): string | number | null {
  const id = typeof m === 'object' && m !== null ? (m as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** Null when `m` is a valid message; else what is wrong with it, in words. */
function invalidMessage(m: unknown): string | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'messages are JSON objects with a "type"';
  const type = (m as { type?: unknown }).type;
  const v = typeof type === 'string' ? byType.get(type) : undefined;
  if (!v) return `unknown message type ${JSON.stringify(type)}; known: ${[...byType.keys()].join(', ')}`;
  if (v.Check(m)) return null;
  const e = [...v.Errors(m)][0];
  return `invalid "${type}" message${e ? `: ${e.instancePath || '/'} ${e.message}` : ''}`;
}
