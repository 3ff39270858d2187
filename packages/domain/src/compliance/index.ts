import { DateTime } from 'luxon';
import type { ProjectRules } from '../projects/types.ts';

/**
 * The compliance gate: the one function every dial passes through, in the simulator and in
 * the live dialer alike. Pure — `now` and every lookup (DNC, history) come in as data — so
 * property tests can throw any sequence of events at it.
 */

/** Why a dial was refused. Stable codes: counted, charted and shown to supervisors. */
export const RefusalCodes = {
  /** The number is on an active do-not-call list (global or the project's). */
  dnc: 'dnc',
  /** The contact is closed (closing rule, success, or a closing disposition). */
  contact_closed: 'contact_closed',
  /** Another attempt on this contact is still in progress. */
  call_in_progress: 'call_in_progress',
  /** The callee's time zone is unknown, so their local time cannot be checked: refuse. */
  no_time_zone: 'no_time_zone',
  /** Now is outside the project's calling windows in the callee's local time (FTC 08–21; CN insurance 09–21). */
  outside_calling_window: 'outside_calling_window',
  /** The callee's local date is one of the project's holidays. */
  holiday: 'holiday',
  /** Closing rule: the maximum attempts within the rolling window is reached (then the contact closes). */
  max_attempts_reached: 'max_attempts_reached',
  /** The retry delay after the last outcome (busy, no answer, machine, failed) has not elapsed. */
  retry_too_soon: 'retry_too_soon',
  /** Ofcom: no repeat call within 72 h (configurable) after an abandoned call unless an agent is guaranteed. */
  abandon_cooldown: 'abandon_cooldown',
  /** A callback is scheduled for later: the contact waits for it. */
  callback_not_due: 'callback_not_due',
  /** This number already had its maximum attempts today (callee-local day). */
  daily_number_cap: 'daily_number_cap',
} as const;
export type RefusalCode = (typeof RefusalCodes)[keyof typeof RefusalCodes];

import type { AttemptOutcome, AttemptRecord } from './attempts.ts';
export type { AttemptOutcome, AttemptRecord } from './attempts.ts';

export interface DialCandidate {
  contactStatus: 'new' | 'in_progress' | 'callback' | 'closed';
  /** ms since epoch, when a callback is scheduled. */
  callbackAt: number | null;
  /** The contact's own IANA time zone, if known. */
  contactTimeZone: string | null;
  /** The time zone implied by the number (e.g. +86 → Asia/Shanghai), if unambiguous. */
  numberTimeZone: string | null;
  phone: string;
  /** Every attempt on this contact (all its numbers), any order. */
  attempts: readonly AttemptRecord[];
  /** Result of the DNC lookup for this number and contact, done by the caller. */
  onDncList: boolean;
  /** Preview/progressive or a reserved agent: an agent will be there when the callee answers. */
  agentGuaranteed: boolean;
}

export type GateDecision =
  | { allowed: true }
  | {
      allowed: false;
      code: RefusalCode;
      message: string;
      /** Earliest time (ms) the same check could pass, when it can be known. */
      retryAt?: number;
      /** The refusal means the contact is finished (closing rule reached). */
      closeContact?: boolean;
    };

const DAY_MS = 86_400_000;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function localWindowOk(rules: ProjectRules, local: DateTime): boolean {
  const ranges = rules.callingWindows[String(local.weekday) as '1'] ?? [];
  const m = local.hour * 60 + local.minute + local.second / 60;
  return ranges.some((r) => m >= minutes(r.start) && m < minutes(r.end));
}

/** The next instant (ms) at or after `now` that is inside a window and not a holiday, within 14 days. */
export function nextWindowStart(rules: ProjectRules, zone: string, now: number): number | undefined {
  const start = DateTime.fromMillis(now, { zone });
  for (let d = 0; d < 15; d++) {
    const day = start.plus({ days: d }).startOf('day');
    if (rules.holidays.includes(day.toISODate() ?? '')) continue;
    const ranges = [...(rules.callingWindows[String(day.weekday) as '1'] ?? [])].sort(
      (a, b) => minutes(a.start) - minutes(b.start),
    );
    for (const r of ranges) {
      const open = day.plus({ minutes: minutes(r.start) });
      const close = day.plus({ minutes: minutes(r.end) });
      if (close.toMillis() <= now) continue;
      return Math.max(open.toMillis(), now);
    }
  }
  return undefined;
}

const DELAY_KEY: Partial<Record<AttemptOutcome, keyof ProjectRules['retryDelaysMinutes']>> = {
  busy: 'busy',
  no_answer: 'noAnswer',
  machine: 'machine',
  failed: 'failed',
  abandoned: 'abandoned',
};

export function checkDial(c: DialCandidate, rules: ProjectRules, now: number): GateDecision {
  if (c.onDncList) return { allowed: false, code: 'dnc', message: 'the number is on a do-not-call list' };
  if (c.contactStatus === 'closed') return { allowed: false, code: 'contact_closed', message: 'the contact is closed' };
  if (c.attempts.some((a) => a.outcome === null))
    return { allowed: false, code: 'call_in_progress', message: 'an attempt on this contact is still in progress' };

  // Closing rule over a rolling window (e.g. 3 attempts in 10 days, then close whatever the result).
  const windowStart = now - rules.closing.windowDays * DAY_MS;
  const inWindow = c.attempts.filter((a) => a.placedAt > windowStart && a.placedAt <= now);
  if (inWindow.length >= rules.closing.maxAttempts) {
    return {
      allowed: false,
      code: 'max_attempts_reached',
      message: `${inWindow.length} attempts in the last ${rules.closing.windowDays} days (limit ${rules.closing.maxAttempts})`,
      closeContact: true,
    };
  }

  const zone = c.contactTimeZone ?? c.numberTimeZone;
  if (!zone || !DateTime.fromMillis(now, { zone }).isValid) {
    return {
      allowed: false,
      code: 'no_time_zone',
      message: "the callee's time zone is unknown; set the contact's time zone",
    };
  }
  const local = DateTime.fromMillis(now, { zone });
  if (rules.holidays.includes(local.toISODate() ?? '')) {
    return {
      allowed: false,
      code: 'holiday',
      message: `${local.toISODate()} is a holiday in the callee's calendar`,
      retryAt: nextWindowStart(rules, zone, now),
    };
  }
  if (!localWindowOk(rules, local)) {
    return {
      allowed: false,
      code: 'outside_calling_window',
      message: `${local.toFormat('ccc HH:mm')} in ${zone} is outside the calling windows`,
      retryAt: nextWindowStart(rules, zone, now),
    };
  }

  const callbackDue = c.contactStatus === 'callback' && c.callbackAt !== null && c.callbackAt <= now;
  if (c.contactStatus === 'callback' && c.callbackAt !== null && c.callbackAt > now) {
    return {
      allowed: false,
      code: 'callback_not_due',
      message: 'a callback is scheduled for later',
      retryAt: c.callbackAt,
    };
  }

  let last: AttemptRecord | undefined;
  for (const a of c.attempts) if (a.placedAt <= now && (!last || a.placedAt > last.placedAt)) last = a;
  const lastAbandon = c.attempts
    .filter((a) => a.outcome === 'abandoned' && a.placedAt <= now)
    .reduce<number | undefined>((m, a) => (m === undefined || a.placedAt > m ? a.placedAt : m), undefined);
  if (lastAbandon !== undefined && !c.agentGuaranteed) {
    const until = lastAbandon + rules.retryDelaysMinutes.abandoned * 60_000;
    if (now < until)
      return {
        allowed: false,
        code: 'abandon_cooldown',
        message: `an abandoned call less than ${rules.retryDelaysMinutes.abandoned / 60} h ago; only with an agent guaranteed`,
        retryAt: until,
      };
  }
  if (last && last.outcome && !callbackDue) {
    const key = DELAY_KEY[last.outcome];
    // After an abandoned call with an agent guaranteed, the ordinary no-answer delay still applies.
    const delay =
      key === 'abandoned'
        ? c.agentGuaranteed
          ? rules.retryDelaysMinutes.noAnswer
          : 0
        : key
          ? rules.retryDelaysMinutes[key]
          : 0;
    const until = last.placedAt + delay * 60_000;
    if (now < until)
      return {
        allowed: false,
        code: 'retry_too_soon',
        message: `retry delay after "${last.outcome}" runs until ${new Date(until).toISOString()}`,
        retryAt: until,
      };
  }

  // Daily cap per number, counted on the callee's local calendar day.
  const today = local.toISODate();
  const sameDay = c.attempts.filter(
    (a) => a.phone === c.phone && a.placedAt <= now && DateTime.fromMillis(a.placedAt, { zone }).toISODate() === today,
  ).length;
  if (sameDay >= rules.dailyNumberCap) {
    return {
      allowed: false,
      code: 'daily_number_cap',
      message: `${sameDay} attempts to this number today (limit ${rules.dailyNumberCap})`,
      retryAt: local.plus({ days: 1 }).startOf('day').toMillis(),
    };
  }
  return { allowed: true };
}
export { nextStep, type NextStep, type CloseReason, type DispositionEffect } from './next-step.ts';

/** Each refusal in words, for the agent who asked for the dial (手工发呼) — Chinese and English. */
export const REFUSAL_WORDS: Record<RefusalCode, { zh: string; en: string }> = {
  dnc: { zh: '该号码在免打扰名单上，不能拨打。', en: 'The number is on a do-not-call list.' },
  contact_closed: { zh: '该客户已结案。', en: 'The contact is closed.' },
  call_in_progress: { zh: '该客户正在通话中。', en: 'A call with this contact is in progress.' },
  no_time_zone: {
    zh: '不知道客户所在时区，无法判断当地时间。',
    en: "The callee's time zone is unknown, so their local time cannot be checked.",
  },
  outside_calling_window: {
    zh: '现在不在客户当地的允许外呼时段内。',
    en: "It is outside the calling hours in the callee's local time.",
  },
  holiday: { zh: '今天是客户当地的节假日，不外呼。', en: "Today is a holiday in the callee's calendar." },
  max_attempts_reached: { zh: '已达到结案规则的最多拨打次数。', en: 'The closing rule allows no more attempts.' },
  retry_too_soon: { zh: '距上次拨打时间太近，请稍后再拨。', en: 'Too soon after the last attempt; try later.' },
  abandon_cooldown: {
    zh: '上次呼叫被放弃，72 小时内不能再拨（除非坐席在线）。',
    en: 'An abandoned call less than 72 hours ago.',
  },
  callback_not_due: { zh: '已预约稍后回拨，时间未到。', en: 'A callback is booked for later.' },
  daily_number_cap: { zh: '该号码今天的拨打次数已满。', en: 'This number had its maximum calls today.' },
};
