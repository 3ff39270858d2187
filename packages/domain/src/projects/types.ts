/**
 * The project (专案) model as the domain sees it: plain data, no I/O.
 * The database stores `ProjectRules` as JSON and the API validates it with a schema
 * mirroring these types (apps/server/src/http/projects/schemas.ts), so the dialer,
 * the simulator and the UI all read the same rules.
 */

/** Types a per-project custom contact field may have (seed 002: fixed fields + ~5 configurable). */
export type FieldType = 'text' | 'number' | 'date' | 'enum' | 'boolean';

export interface FieldDef {
  /** Stable machine key, `[a-z][a-z0-9_]{0,39}`; the JSON key in `contacts.custom`. */
  key: string;
  labelZh: string;
  labelEn: string;
  type: FieldType;
  required: boolean;
  /** Allowed values when `type === 'enum'`. */
  options?: string[];
  /** Maximum length for `text` (default 500 characters). */
  maxLength?: number;
}

/** Local wall-clock interval "HH:MM"–"HH:MM" (end exclusive), in the callee's time zone. */
export interface TimeRange {
  start: string;
  end: string;
}

/**
 * Calling windows per ISO weekday (1 = Monday … 7 = Sunday). A weekday that is absent
 * or has an empty list may not be called at all.
 */
export type CallingWindows = Partial<Record<'1' | '2' | '3' | '4' | '5' | '6' | '7', TimeRange[]>>;

/** 结案规则: e.g. "3 attempts in a rolling 10 days, then close whatever the result". */
export interface ClosingRule {
  maxAttempts: number;
  windowDays: number;
  /** Close the contact as soon as a disposition marked `success` is recorded. */
  closeOnSuccess: boolean;
}

/** Minutes to wait before the next attempt, by the previous attempt's outcome. */
export interface RetryDelays {
  busy: number;
  noAnswer: number;
  machine: number;
  /**
   * After an abandoned call (person answered, no agent within 2 s). Ofcom: no repeat
   * call within 72 h unless an agent is guaranteed — so the default is 72 × 60.
   */
  abandoned: number;
  failed: number;
}

export interface ProjectRules {
  closing: ClosingRule;
  callingWindows: CallingWindows;
  /** Dates "YYYY-MM-DD" (callee local) on which nobody is called. */
  holidays: string[];
  retryDelaysMinutes: RetryDelays;
  /** Most attempts to one phone number per callee-local day. */
  dailyNumberCap: number;
  /** Abandon-rate limit as a fraction of person-answered calls (FTC/Ofcom: 0.03). */
  maxAbandonRate: number;
}

export interface DispositionCode {
  code: string;
  labelZh: string;
  labelEn: string;
  /** A success closes the contact when `closing.closeOnSuccess` is set. */
  success: boolean;
  /** Closes the contact whatever the closing rule says (e.g. wrong number, refused). */
  closes: boolean;
  /** Puts the number on the project's do-not-call list (e.g. the callee refused further calls). */
  addsToDnc: boolean;
  /** Try again after this many minutes, instead of the delay the call's outcome would give. */
  retryAfterMinutes?: number | null | undefined;
  /**
   * Books a callback at the time the agent gives: owned by the agent who took the call (only
   * they are offered it) or by anyone of the campaign.
   */
  callback?: 'agent' | 'anyone' | null | undefined;
  /** Escalates: the contact's task moves to this skill group's queue (e.g. seniors), ahead of the others. */
  escalateTo?: string | null | undefined;
  /** The questionnaire must be answered to its end (required questions) before this code is accepted. */
  requiresAnswers?: boolean | undefined;
}

/**
 * Safe defaults: China's insurance telesales rules forbid 21:00–09:00; the FTC allows
 * 08:00–21:00; we take the narrower 09:00–21:00, Monday to Saturday.
 */
export function defaultProjectRules(): ProjectRules {
  const day = [{ start: '09:00', end: '21:00' }];
  return {
    closing: { maxAttempts: 3, windowDays: 10, closeOnSuccess: true },
    callingWindows: { '1': day, '2': day, '3': day, '4': day, '5': day, '6': day },
    holidays: [],
    retryDelaysMinutes: { busy: 30, noAnswer: 120, machine: 240, abandoned: 72 * 60, failed: 60 },
    dailyNumberCap: 2,
    maxAbandonRate: 0.03,
  };
}
