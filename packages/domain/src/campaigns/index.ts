/**
 * Campaigns (外呼活动): a project's list being worked by the dialer in one dial mode, with its
 * pacing and compliance settings. This module holds the lifecycle and the validation of
 * settings — pure, so the API, the dialer loop and the tests agree on what is allowed.
 *
 *   draft ──schedule──▶ scheduled ──start──▶ running ◀──resume── paused
 *     │                    │                  │  └──pause──▶ paused
 *     └────────start───────┼──────────────────┘                │
 *                          └──────stop──▶ finished ◀──stop──────┘
 * A running campaign also finishes by itself (list exhausted, circuit breaker, end time):
 * the dialer loop applies `finish` with the reason.
 */
import type { RoutingStrategy } from '../routing/index.ts';
import type { Issue } from '../projects/validate.ts';

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'finished';
export const CAMPAIGN_STATUSES: readonly CampaignStatus[] = ['draft', 'scheduled', 'running', 'paused', 'finished'];

/** `ivr`: agentless — a prompt plays to whoever answers; a key takes them to an agent or off the list. */
export type DialMode = 'preview' | 'progressive' | 'power' | 'predictive' | 'ivr';
export const DIAL_MODES: readonly DialMode[] = ['preview', 'progressive', 'power', 'predictive', 'ivr'];

/** An agentless (IVR) campaign's menu. */
export interface IvrSettings {
  /** Calls in progress at once (the IVR's lines): IVR pacing keeps this many going. */
  lines: number;
  /** Name of the prompt the carrier plays (configured with the carrier: prompts.<name>). */
  prompt: string;
  /** The key that asks for an agent (null: none). */
  agentKey: string | null;
  /** The key that puts the number on the project's do-not-call list (null: none). */
  dncKey: string | null;
  /** Seconds to wait for a key after the prompt starts; then the call is released. */
  keyTimeoutSeconds: number;
}

export const defaultIvrSettings = (): IvrSettings => ({
  lines: 10,
  prompt: 'ivr',
  agentKey: '1',
  dncKey: '9',
  keyTimeoutSeconds: 10,
});

/** A user's command, or the dialer's own decision (`finish`). */
export type CampaignAction = 'schedule' | 'start' | 'pause' | 'resume' | 'stop' | 'finish';

/** Why a campaign finished: counted and shown on the campaign. */
export type FinishReason = 'stopped' | 'list_exhausted' | 'circuit_breaker' | 'end_time';

export interface CampaignSettings {
  dialMode: DialMode;
  /** Power mode: lines per ready agent (1–5). */
  linesPerAgent: number;
  /** Abandon-rate target for predictive pacing (share of person-answered calls), ≤ 0.03. */
  abandonTarget: number;
  /** Calls-per-second ceiling for this campaign (carrier and regulator limits). */
  maxCallsPerSecond: number;
  /** Ring timeout before giving up (FTC: at least 15 s or four rings). */
  ringTimeoutSeconds: number;
  /** Answering-machine detection on answered calls. */
  amd: boolean;
  /** Skills an agent needs to take this campaign's calls (skill code → minimum level 1–10). */
  requiredSkills: Record<string, number>;
  /** Contacts with all of these tags only (empty: all). */
  tags: string[];
  /** Caller IDs presented, rotated; empty: the project's pool. */
  callerIds: string[];
  /**
   * How an answered call picks among the ready agents: the one idle longest (fairest), or a
   * score of skill level, idle time and the customer's value tier (domain/routing).
   */
  routing: RoutingStrategy;
  /** The contact's custom field holding its value tier (0 unknown … 3 top), for score routing. */
  valueTierField: string | null;
  /** Only contacts of these lists (imports); empty: every list of the project. */
  lists: string[];
  /** Most attempts per list per day (project's calendar day): list id → cap. Lists not named have none. */
  listDailyCaps: Record<string, number>;
  /** Preview mode: how long an agent may look at an offered contact before it is skipped ('timeout'). */
  previewTimeoutSeconds: number;
  /** ISO times; the dialer starts/stops the campaign by itself at these instants. */
  startAt: string | null;
  endAt: string | null;
  /** The SIP trunk (by name) the calls go out on; null or absent: the carrier's default. */
  trunk?: string | null;
  /** Dial mode `ivr`: the menu (absent: the defaults). */
  ivr?: IvrSettings | null;
}

/** The actions a user may take (`finish` is the system's: end time, list exhausted). */
export type UserAction = Exclude<CampaignAction, 'finish'>;

export const defaultCampaignSettings = (): CampaignSettings => ({
  dialMode: 'predictive',
  linesPerAgent: 2,
  abandonTarget: 0.03,
  maxCallsPerSecond: 20,
  ringTimeoutSeconds: 25,
  amd: false,
  requiredSkills: {},
  tags: [],
  callerIds: [],
  previewTimeoutSeconds: 120,
  routing: { kind: 'longest_idle' },
  valueTierField: null,
  lists: [],
  listDailyCaps: {},
  startAt: null,
  endAt: null,
  trunk: null,
  ivr: null,
});

const MOVES: Record<CampaignAction, Partial<Record<CampaignStatus, CampaignStatus>>> = {
  schedule: { draft: 'scheduled' },
  start: { draft: 'running', scheduled: 'running' },
  pause: { running: 'paused' },
  resume: { paused: 'running' },
  stop: { draft: 'finished', scheduled: 'finished', running: 'finished', paused: 'finished' },
  finish: { running: 'finished', paused: 'finished', scheduled: 'finished' },
};

export type TransitionResult = { ok: true; to: CampaignStatus } | { ok: false; message: string };

/** The next status after `action`, or why the action is not allowed now. */
export function transition(from: CampaignStatus, action: CampaignAction): TransitionResult {
  const to = MOVES[action][from];
  if (to) return { ok: true, to };
  const allowedFrom = Object.keys(MOVES[action]).join(', ');
  return { ok: false, message: `cannot ${action} a ${from} campaign (only from: ${allowedFrom})` };
}

/** Actions a user may take from `status` (for buttons and the API's error details). */
export function allowedActions(status: CampaignStatus): UserAction[] {
  return (Object.keys(MOVES) as CampaignAction[]).filter(
    (a): a is UserAction => a !== 'finish' && MOVES[a][status] !== undefined,
  );
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** Every problem with a campaign's settings at once, by dotted path. */
export function validateCampaignSettings(s: CampaignSettings): Issue[] {
  const out: Issue[] = [];
  if (!DIAL_MODES.includes(s.dialMode))
    out.push({ path: 'dialMode', message: `must be one of ${DIAL_MODES.join(', ')}` });
  if (!(s.linesPerAgent >= 1 && s.linesPerAgent <= 5))
    out.push({ path: 'linesPerAgent', message: 'must be between 1 and 5' });
  if (!(s.abandonTarget > 0 && s.abandonTarget <= 0.03))
    out.push({ path: 'abandonTarget', message: 'must be > 0 and ≤ 0.03 (the 3% regulatory ceiling)' });
  if (!(s.maxCallsPerSecond > 0 && s.maxCallsPerSecond <= 1000))
    out.push({ path: 'maxCallsPerSecond', message: 'must be > 0 and ≤ 1000' });
  if (!(Number.isInteger(s.ringTimeoutSeconds) && s.ringTimeoutSeconds >= 15 && s.ringTimeoutSeconds <= 120)) {
    out.push({ path: 'ringTimeoutSeconds', message: 'must be a whole number of seconds from 15 (FTC minimum) to 120' });
  }
  if (
    s.previewTimeoutSeconds !== undefined &&
    !(Number.isInteger(s.previewTimeoutSeconds) && s.previewTimeoutSeconds >= 10 && s.previewTimeoutSeconds <= 900)
  ) {
    out.push({ path: 'previewTimeoutSeconds', message: 'must be a whole number of seconds from 10 to 900' });
  }
  const r = s.routing;
  if (r !== undefined) {
    if (r.kind === 'score') {
      for (const k of ['levelWeight', 'idleWeight', 'tierWeight'] as const) {
        if (!(Number.isFinite(r[k]) && r[k] >= 0)) out.push({ path: `routing.${k}`, message: 'must be a number ≥ 0' });
      }
    } else if (r.kind !== 'longest_idle') out.push({ path: 'routing.kind', message: 'must be longest_idle or score' });
  }
  if (s.valueTierField !== undefined && s.valueTierField !== null && !/^[a-z][a-z0-9_]{0,39}$/.test(s.valueTierField)) {
    out.push({ path: 'valueTierField', message: 'must be a custom field key (lower-case letters, digits, _)' });
  }
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  (s.lists ?? []).forEach((l, i) => {
    if (!UUID.test(l)) out.push({ path: `lists.${i}`, message: 'must be an import (list) id' });
  });
  for (const [list, cap] of Object.entries(s.listDailyCaps ?? {})) {
    if (!UUID.test(list)) out.push({ path: `listDailyCaps.${list}`, message: 'keys must be import (list) ids' });
    if (!(Number.isInteger(cap) && cap >= 0))
      out.push({ path: `listDailyCaps.${list}`, message: 'must be a whole number ≥ 0' });
  }
  for (const [skill, level] of Object.entries(s.requiredSkills)) {
    if (!(Number.isInteger(level) && level >= 1 && level <= 10))
      out.push({ path: `requiredSkills.${skill}`, message: 'level must be a whole number 1–10' });
  }
  s.callerIds.forEach((c, i) => {
    if (!E164.test(c)) out.push({ path: `callerIds.${i}`, message: `"${c}" is not an E.164 number (+8610…)` });
  });
  if (s.trunk !== undefined && s.trunk !== null && !/^[A-Za-z0-9_.-]{1,64}$/.test(s.trunk))
    out.push({ path: 'trunk', message: 'must be a trunk name (1–64 letters, digits, "_", "." or "-")' });
  if (s.ivr !== undefined && s.ivr !== null) {
    const v = s.ivr;
    if (!(Number.isInteger(v.lines) && v.lines >= 1 && v.lines <= 1000))
      out.push({ path: 'ivr.lines', message: 'must be a whole number from 1 to 1000' });
    if (typeof v.prompt !== 'string' || !/^[a-z0-9_-]{1,40}$/.test(v.prompt))
      out.push({ path: 'ivr.prompt', message: 'must be a prompt name (lower-case letters, digits, "_", "-")' });
    for (const k of ['agentKey', 'dncKey'] as const)
      if (v[k] !== null && !/^[0-9*#]$/.test(String(v[k])))
        out.push({ path: `ivr.${k}`, message: 'must be one key 0–9, * or #, or null' });
    if (v.agentKey !== null && v.agentKey === v.dncKey)
      out.push({ path: 'ivr.dncKey', message: 'must differ from agentKey' });
    if (!(Number.isInteger(v.keyTimeoutSeconds) && v.keyTimeoutSeconds >= 3 && v.keyTimeoutSeconds <= 60))
      out.push({ path: 'ivr.keyTimeoutSeconds', message: 'must be a whole number of seconds from 3 to 60' });
  }
  const start = s.startAt === null ? null : Date.parse(s.startAt);
  const end = s.endAt === null ? null : Date.parse(s.endAt);
  if (start !== null && Number.isNaN(start)) out.push({ path: 'startAt', message: 'must be an ISO date-time' });
  if (end !== null && Number.isNaN(end)) out.push({ path: 'endAt', message: 'must be an ISO date-time' });
  if (start !== null && end !== null && !Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
    out.push({ path: 'endAt', message: 'must be after startAt' });
  }
  return out;
}
