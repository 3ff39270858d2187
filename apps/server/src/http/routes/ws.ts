import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClientMessageVariants, type ClientMessage, type ServerMessage, type SessionMessage } from '@outdial/contracts';
import { Compile } from 'typebox/compile';
import type { WebSocket } from 'ws';
import { AppError, type Principal, type SessionHandle } from '@outdial/engine';
import { bearerToken, type RouteContext } from '../context.ts';
import { unstorableText } from '../text.ts';

/** One compiled validator per message type, so an error names the field of the message meant. */
const byType = new Map(ClientMessageVariants.map((v) => [v.properties.type.const as string, Compile(v)]));

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
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const gateway = ctx.gateway;
    if (!gateway) return;
    app.get('/ws', { websocket: true, config: { public: true }, schema: { hide: true } }, (socket: WebSocket, req) => {
      const send = (m: ServerMessage) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
      };
      let handle: SessionHandle | undefined;
      let authenticating = false;
      const queued: ClientMessage[] = [];
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
      const deliver = (m: ClientMessage) => {
        if (m.type === 'auth')
          return send({ type: 'error', id: m.id ?? null, code: 'invalid_state', message: 'already authenticated' });
        void handle!.receive(m satisfies SessionMessage);
      };
      socket.on('pong', () => handle?.seen());
      socket.on('message', (data, isBinary) => {
        let m: unknown;
        try {
          m = isBinary ? undefined : JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : '');
        } catch {
          m = undefined;
        }
        const problem = invalidMessage(m);
        if (problem) return send({ type: 'error', id: replyId(m), code: 'validation_failed', message: problem });
        const msg = m as ClientMessage; // validated just above
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
  if (v.Check(m)) {
    const bad = unstorableText(m);
    return bad ? `invalid "${String(type)}" message: ${bad}` : null;
  }
  const e = [...v.Errors(m)][0];
  return `invalid "${String(type)}" message${e ? `: ${e.instancePath || '/'} ${e.message}` : ''}`;
}
