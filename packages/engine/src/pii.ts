import type { Repositories, Role } from './ports/index.ts';
import { mayUnmask } from '@outdial/domain/access';
import { maskPhone } from '@outdial/domain/phone';
import type { Principal } from './auth.ts';

/**
 * The one masking rule (PIPL: minimal exposure of personal data). Every response, export and
 * live message that carries a phone number asks this class whether the reader sees it in full,
 * and every time someone does, an audit row says who saw what, when and from where.
 */
export class PersonalData {
  constructor(
    private readonly repos: Repositories,
    private readonly unmaskRoles: readonly Role[],
  ) {}

  /** Whether this reader sees full numbers. */
  unmasked(p: Principal): boolean {
    return mayUnmask(p.role, this.unmaskRoles);
  }

  /** A number as this reader may see it. */
  phone(unmasked: boolean, e164: string): string {
    return unmasked ? e164 : maskPhone(e164);
  }

  /** Records that `p` was shown full numbers (or searched by part of one). */
  async shown(
    p: Principal,
    view: {
      action: string;
      subjectType: string;
      subjectId?: string | undefined;
      details: Record<string, unknown>;
      ip?: string | undefined;
    },
  ): Promise<void> {
    await this.repos.audit.append({
      orgId: p.orgId,
      actorUserId: p.userId,
      action: view.action,
      subjectType: view.subjectType,
      subjectId: view.subjectId,
      details: view.details,
      ip: view.ip,
    });
  }
}
