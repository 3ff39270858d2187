import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The built browser app (apps/web/dist), when it has been built. */
export function defaultWebDir(): string | null {
  const dir = fileURLToPath(new URL('../../../web/dist', import.meta.url));
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

/** Paths that belong to the server, never to the browser app's routes. */
const SERVER_PATH = /^\/(api|healthz)(\/|$|\?)/;

/**
 * Serves the browser app at `/`: hashed files under /assets/ are cached for a year (their names
 * change with their content), index.html is revalidated on every load so a new build is picked up;
 * any other GET that is not an API path gets index.html (the app's own routes: /workstation …).
 */
export async function registerWebApp(app: FastifyInstance, dir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    setHeaders(res, path) {
      const hashed = path.includes(`${join(dir, 'assets')}`);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
  const spa = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').sendFile('index.html');
  app.get('/*', { schema: { hide: true } }, (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (!SERVER_PATH.test(path) && !path.startsWith('/assets/')) return spa(reply);
    return reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${path}` } });
  });
}
