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
import type { Issue } from '../projects/validate.ts';

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'finished';
export const CAMPAIGN_STATUSES: readonly CampaignStatus[] = ['draft', 'scheduled', 'running', 'paused', 'finished'];

export type DialMode = 'preview' | 'progressive' | 'power' | 'predictive';
export const DIAL_MODES: readonly DialMode[] = ['preview', 'progressive', 'power', 'predictive'];

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
  /** ISO times; the dialer starts/stops the campaign by itself at these instants. */
  startAt: string | null;
  endAt: string | null;
}

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
  startAt: null,
  endAt: null,
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
export function allowedActions(status: CampaignStatus): CampaignAction[] {
  return (Object.keys(MOVES) as CampaignAction[]).filter((a) => a !== 'finish' && MOVES[a][status] !== undefined);
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** Every problem with a campaign's settings at once, by dotted path. */
export function validateCampaignSettings(s: CampaignSettings): Issue[] {
  const out: Issue[] = [];
  if (!DIAL_MODES.includes(s.dialMode)) out.push({ path: 'dialMode', message: `must be one of ${DIAL_MODES.join(', ')}` });
  if (!(s.linesPerAgent >= 1 && s.linesPerAgent <= 5)) out.push({ path: 'linesPerAgent', message: 'must be between 1 and 5' });
  if (!(s.abandonTarget > 0 && s.abandonTarget <= 0.03)) out.push({ path: 'abandonTarget', message: 'must be > 0 and ≤ 0.03 (the 3% regulatory ceiling)' });
  if (!(s.maxCallsPerSecond > 0 && s.maxCallsPerSecond <= 1000)) out.push({ path: 'maxCallsPerSecond', message: 'must be > 0 and ≤ 1000' });
  if (!(Number.isInteger(s.ringTimeoutSeconds) && s.ringTimeoutSeconds >= 15 && s.ringTimeoutSeconds <= 120)) {
    out.push({ path: 'ringTimeoutSeconds', message: 'must be a whole number of seconds from 15 (FTC minimum) to 120' });
  }
  for (const [skill, level] of Object.entries(s.requiredSkills)) {
    if (!(Number.isInteger(level) && level >= 1 && level <= 10)) out.push({ path: `requiredSkills.${skill}`, message: 'level must be a whole number 1–10' });
  }
  s.callerIds.forEach((c, i) => {
    if (!E164.test(c)) out.push({ path: `callerIds.${i}`, message: `"${c}" is not an E.164 number (+8610…)` });
  });
  const start = s.startAt === null ? null : Date.parse(s.startAt);
  const end = s.endAt === null ? null : Date.parse(s.endAt);
  if (start !== null && Number.isNaN(start)) out.push({ path: 'startAt', message: 'must be an ISO date-time' });
  if (end !== null && Number.isNaN(end)) out.push({ path: 'endAt', message: 'must be an ISO date-time' });
  if (start !== null && end !== null && !Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
    out.push({ path: 'endAt', message: 'must be after startAt' });
  }
  return out;
}
