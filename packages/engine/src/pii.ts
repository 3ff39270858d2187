import type { Repositories, Role } from './ports/index.ts';
import { mayUnmask } from '@outdial/domain/access';
import { maskPhone } from '@outdial/domain/phone';
import type { Principal } from './auth.ts';
import { AppError } from './errors.ts';
import type { Clock } from './ports/index.ts';

/**
 * A run of digits (with the separators people type) masked in place: all but the first three and
 * the last two digits hidden, whatever the format; five digits or fewer are hidden entirely.
 */
export function maskDigits(cell: string): string {
  const total = (cell.match(/\d/g) ?? []).length;
  if (total === 0) return cell;
  let i = 0;
  return cell.replace(/\d/g, (d) => {
    i++;
    return total <= 5 || (i > 3 && i <= total - 2) ? '*' : d;
  });
}

/**
 * The one masking rule (PIPL: minimal exposure of personal data). Every response, export and
 * live message that carries a phone number asks this class whether the reader sees it in full,
 * and every time someone does, an audit row says who saw what, when and from where.
 */
export class PersonalData {
  constructor(
    private readonly repos: Repositories,
    private readonly unmaskRoles: readonly Role[],
    private readonly clock: Clock,
    /** Complete-number lookups a reader of masked numbers may make in 24 hours. */
    private readonly maskedLookupsPerDay = 200,
  ) {}

  /**
   * A reader who sees masked numbers asks whether a complete number is known (a contact search,
   * a do-not-call check). Each answer is a yes/no about a number they may not see, so each is
   * audited and a day's budget is kept: guessing the hidden digits of a masked number one by one
   * (10,000 tries for four digits) is refused long before it could succeed.
   */
  async maskedLookup(p: Principal, what: string, ip?: string): Promise<void> {
    const since = new Date(this.clock.now().getTime() - 86_400_000);
    const used = await this.repos.audit.count(p.userId, 'pii.number_lookup', since);
    if (used >= this.maskedLookupsPerDay)
      throw new AppError(
        'rate_limited',
        `your role sees masked numbers and may look up ${this.maskedLookupsPerDay} complete numbers a day; ask a supervisor`,
        { limit: this.maskedLookupsPerDay, reason: 'masked_lookup_budget' },
      );
    await this.repos.audit.append({
      orgId: p.orgId,
      actorUserId: p.userId,
      action: 'pii.number_lookup',
      details: { what, used: used + 1, limit: this.maskedLookupsPerDay },
      ip,
    });
  }

  /** Text that may quote a number (a rejected row's reason), with the digits of any number in it hidden. */
  text(unmasked: boolean, s: string | null): string | null {
    if (unmasked || s === null) return s;
    return s.replace(/\d[\d\s\-()+]{4,}\d/g, (run) => maskDigits(run));
  }

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
