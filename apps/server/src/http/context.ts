import type { FastifyRequest } from 'fastify';
import type { AgentGateway, Dialer, DialerMonitor, Principal, Services } from '@outdial/engine';
import { AppError } from '@outdial/engine';
import type { Config } from '../config.ts';
import type { Repositories } from '@outdial/db';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a session (login). */
    public?: boolean;
  }
}

/** What every route plugin is given. */
export interface HttpContext {
  config: Readonly<Config>;
  services: Services;
  repos: Repositories;
  /** Imports running in the background, awaited on shutdown. */
  background: Set<Promise<unknown>>;
  /** The dialer running on this node, when there is one (serve); absent in CLI-only contexts. */
  dialer?: Dialer | undefined;
  /** Agents' and supervisors' live connections (WebSocket), when the dialer runs here. */
  gateway?: AgentGateway | undefined;
  /** What supervisors read of this node's dialer (empty when none runs here). */
  monitor?: DialerMonitor | undefined;
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal)
    throw new AppError(
      'unauthenticated',
      'log in first (POST /api/v1/auth/login) and send Authorization: Bearer <token>',
    );
  return req.principal;
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  return undefined;
}

/** What route plugins get: the context with its defaults filled in. */
export type RouteContext = HttpContext & { monitor: DialerMonitor };
