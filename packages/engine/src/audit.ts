import type { Repositories } from './ports/index.ts';
import { assertCan, type Principal } from './auth.ts';

/** Reading the append-only audit log (writing happens inside each use case's own transaction). */
export class AuditService {
  constructor(private readonly repos: Repositories) {}

  async list(p: Principal, q: { action?: string | undefined; limit: number; offset: number }) {
    assertCan(p, 'audit:read');
    return this.repos.audit.list(p.orgId, q);
  }
}
