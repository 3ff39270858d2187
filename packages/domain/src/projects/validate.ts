import type { DispositionCode, ProjectRules } from './types.ts';

/** A problem with a piece of configuration: where (a dotted path) and what. */
export interface Issue {
  path: string;
  message: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/**
 * Business checks the JSON schema cannot express. Returns every problem at once so the
 * person configuring a project fixes them in one go.
 */
export function validateProjectRules(r: ProjectRules): Issue[] {
  const out: Issue[] = [];
  if (!Number.isInteger(r.closing.maxAttempts) || r.closing.maxAttempts < 1)
    out.push({ path: 'closing.maxAttempts', message: 'must be a whole number ≥ 1' });
  if (!(r.closing.windowDays > 0)) out.push({ path: 'closing.windowDays', message: 'must be > 0 days' });
  for (const [day, ranges] of Object.entries(r.callingWindows)) {
    if (!/^[1-7]$/.test(day)) {
      out.push({ path: `callingWindows.${day}`, message: 'weekday keys are 1 (Monday) … 7 (Sunday)' });
      continue;
    }
    (ranges ?? []).forEach((w, i) => {
      const path = `callingWindows.${day}.${i}`;
      if (!HHMM.test(w.start) || !HHMM.test(w.end)) out.push({ path, message: 'times are "HH:MM", 00:00–24:00' });
      else if (minutes(w.start) >= minutes(w.end))
        out.push({ path, message: `start ${w.start} must be before end ${w.end}` });
    });
  }
  r.holidays.forEach((d, i) => {
    if (!DATE.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)))
      out.push({ path: `holidays.${i}`, message: `"${d}" is not a date YYYY-MM-DD` });
  });
  for (const [k, v] of Object.entries(r.retryDelaysMinutes)) {
    if (!(v >= 0)) out.push({ path: `retryDelaysMinutes.${k}`, message: 'must be ≥ 0 minutes' });
  }
  if (!Number.isInteger(r.dailyNumberCap) || r.dailyNumberCap < 1)
    out.push({ path: 'dailyNumberCap', message: 'must be a whole number ≥ 1' });
  if (!(r.maxAbandonRate >= 0 && r.maxAbandonRate <= 0.03))
    out.push({ path: 'maxAbandonRate', message: 'must be between 0 and 0.03 (the 3% regulatory ceiling)' });
  return out;
}

const CODE = /^[a-z][a-z0-9_]{0,39}$/;

export function validateDispositions(codes: readonly DispositionCode[]): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  codes.forEach((d, i) => {
    if (!CODE.test(d.code))
      out.push({
        path: `dispositions.${i}.code`,
        message: 'a code is lower-case letters, digits and _ (max 40), starting with a letter',
      });
    if (seen.has(d.code)) out.push({ path: `dispositions.${i}.code`, message: `"${d.code}" appears twice` });
    seen.add(d.code);
    const r = d.retryAfterMinutes;
    if (r !== undefined && r !== null && !(Number.isInteger(r) && r >= 0 && r <= 525_600))
      out.push({ path: `dispositions.${i}.retryAfterMinutes`, message: 'whole minutes from 0 to 525,600 (a year)' });
    const effects = [d.closes && 'closes', d.callback && 'books a callback', r != null && 'retries'].filter(Boolean);
    if (effects.length > 1)
      out.push({
        path: `dispositions.${i}`,
        message: `"${d.code}" ${effects.join(' and ')}: a code has one next step`,
      });
    if (d.escalateTo && d.closes)
      out.push({
        path: `dispositions.${i}.escalateTo`,
        message: `"${d.code}" closes the contact: there is nothing to escalate`,
      });
    if (d.escalateTo !== undefined && d.escalateTo !== null && !CODE.test(d.escalateTo))
      out.push({ path: `dispositions.${i}.escalateTo`, message: 'a skill group code' });
  });
  return out;
}

/**
 * The disposition code by which an agent reports that the call put through to them was an
 * answering machine (no AMD, or an AMD miss). The predictive pacing counts such calls as demand
 * on its agents: a project that keeps this code lets its dialer learn how often machines get through.
 */
export const ANSWERING_MACHINE_DISPOSITION = 'answering_machine';

/** Sensible outcomes for a new project; business staff edit them without a release. */
export function defaultDispositions(): DispositionCode[] {
  return [
    { code: 'success', labelZh: '成功', labelEn: 'Success', success: true, closes: true, addsToDnc: false },
    {
      code: 'callback',
      labelZh: '预约回拨',
      labelEn: 'Call back later',
      success: false,
      closes: false,
      addsToDnc: false,
      callback: 'agent',
    },
    {
      code: 'no_interest',
      labelZh: '无意向',
      labelEn: 'Not interested',
      success: false,
      closes: true,
      addsToDnc: false,
    },
    {
      code: 'refused',
      labelZh: '拒绝并要求勿扰',
      labelEn: 'Refused, do not call',
      success: false,
      closes: true,
      addsToDnc: true,
    },
    {
      code: 'wrong_number',
      labelZh: '号码错误',
      labelEn: 'Wrong number',
      success: false,
      closes: true,
      addsToDnc: false,
    },
    {
      code: ANSWERING_MACHINE_DISPOSITION,
      labelZh: '答录机',
      labelEn: 'Answering machine',
      success: false,
      closes: false,
      addsToDnc: false,
    },
  ];
}
