import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DialerMonitor } from '@outdial/engine';
import { bearerToken, type HttpContext, type RouteContext } from './context.ts';
import { registerErrorHandler } from './errors.ts';
import { ErrorBody } from '@outdial/contracts';
import { invalid } from '@outdial/engine';
import { nonFinite, unstorableText } from './text.ts';
import { authRoutes } from './routes/auth.ts';
import { userRoutes } from './routes/users.ts';
import { projectRoutes } from './routes/projects.ts';
import { contactRoutes } from './routes/contacts.ts';
import { importRoutes } from './routes/imports.ts';
import { dncRoutes } from './routes/dnc.ts';
import { orgRoutes } from './routes/org.ts';
import { taskRoutes } from './routes/tasks.ts';
import { campaignRoutes } from './routes/campaigns.ts';
import { auditRoutes } from './routes/audit.ts';
import { callRoutes } from './routes/calls.ts';
import { questionnaireRoutes } from './routes/questionnaires.ts';
import { orderRoutes } from './routes/orders.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { wsRoutes } from './routes/ws.ts';
import { telephonyRoutes } from './routes/telephony.ts';
import { registerWebApp } from './web.ts';

/**
 * Builds the HTTP application without listening, so tests drive it with `inject()`.
 * Handlers are thin: schema-validated input → one service call → a DTO.
 */
export async function buildApp(
  given: HttpContext,
  opts: {
    logger?: FastifyBaseLogger;
    /** the built browser app to serve at `/` (apps/web/dist) */ webDir?: string | null;
  } = {},
): Promise<FastifyInstance> {
  const ctx: RouteContext = { ...given, monitor: given.monitor ?? new DialerMonitor(given.dialer) };
  const app = Fastify({
    // The process's pino logger (a child), so requests and everything else are one stream; none in tests.
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true } },
    bodyLimit: 10 * 1024 * 1024,
    trustProxy: ctx.config.trustProxy,
    // Errors Fastify raises before routing (a malformed percent-encoding in the URL) get the API's shape too.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      void reply
        .status(400)
        .send({ error: { code: 'validation_failed', message: err.message, details: { cause: err.code } } });
    },
    // A request Node's HTTP parser refuses (a broken request line, oversized headers) never reaches
    // routing: answer it in the API's error shape too, then close the connection.
    clientErrorHandler: (err, socket) => {
      const code = (err as { code?: unknown }).code;
      const body = JSON.stringify({
        error: {
          code: 'validation_failed',
          message: 'the request could not be read as HTTP',
          details: typeof code === 'string' ? { cause: code } : {},
        },
      });
      if (socket.writable)
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      else socket.destroy();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandler(app);
  app.decorateRequest('principal', null);
  app.addSchema(ErrorBody);
  // Text PostgreSQL cannot store is refused before validation, for every route (see text.ts).
  app.addHook('preValidation', async (req) => {
    const bad = unstorableText(req.params, 'path') ?? unstorableText(req.query, 'query') ?? unstorableText(req.body);
    if (bad) throw invalid(`invalid request: ${bad}`, { reason: 'unstorable_text' });
  });
  // Schema coercion turns "1e999" into Infinity, which JSON Schema's bounds let through: refuse it here.
  app.addHook('preHandler', async (req) => {
    const bad = nonFinite(req.params, 'path') ?? nonFinite(req.query, 'query') ?? nonFinite(req.body);
    if (bad) throw invalid(`invalid request: ${bad}`, { reason: 'not_finite' });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Outdial API',
        version: '1',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description:
          'Outbound contact-centre platform (外呼平台). Log in with POST /api/v1/auth/login and send the token as `Authorization: Bearer <token>`. Errors: `{error:{code,message,details}}`.',
      },
      servers: [{ url: '/', description: 'this server' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  await app.register(multipart, { limits: { fileSize: ctx.config.maxUploadMb * 1024 * 1024, files: 1, fields: 10 } });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.get('/healthz', { schema: { hide: true } }, async (req, reply) => {
    try {
      await ctx.repos.ping();
      return { status: 'ok', database: ctx.repos.kind };
    } catch (err) {
      // The cause goes to the log, not to whoever asks (it may name hosts, users, schemas).
      req.log.error({ err }, 'health check: the database does not answer');
      return reply.status(503).send({ status: 'unavailable', database: ctx.repos.kind });
    }
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (req) => {
        if (req.routeOptions.config.public) return;
        const token = bearerToken(req);
        if (token) req.principal = await ctx.services.auth.authenticate(token);
      });
      await v1.register(authRoutes(ctx));
      await v1.register(userRoutes(ctx));
      await v1.register(projectRoutes(ctx));
      await v1.register(contactRoutes(ctx));
      await v1.register(importRoutes(ctx));
      await v1.register(dncRoutes(ctx));
      await v1.register(orgRoutes(ctx));
      await v1.register(taskRoutes(ctx));
      await v1.register(campaignRoutes(ctx));
      await v1.register(auditRoutes(ctx));
      await v1.register(callRoutes(ctx));
      await v1.register(telephonyRoutes(ctx));
      await v1.register(questionnaireRoutes(ctx));
      await v1.register(orderRoutes(ctx));
      await v1.register(webhookRoutes(ctx));
      await v1.register(wsRoutes(ctx));
    },
    { prefix: '/api/v1' },
  );
  if (opts.webDir) await registerWebApp(app, opts.webDir);

  return app;
}
