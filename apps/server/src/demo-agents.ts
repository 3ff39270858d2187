import type { Dialer, Logger, Principal, Services } from '@outdial/engine';
import type { Repositories } from '@outdial/db';
import { consolePrincipal } from './console-principal.ts';

/** How the demo's simulated agents end their calls: a realistic mix of dispositions (weights). */
const MIX: [string, number][] = [
  ['renewed', 30],
  ['thinking', 15],
  ['callback', 12],
  ['callback_any', 5],
  ['no_interest', 18],
  ['refused', 6],
  ['wrong_number', 8],
  ['complaint', 6],
];

/**
 * The demo's simulated agents do what people at a workstation do after a call: answer the
 * questionnaire (walking the call's script as the API offers it), then record a disposition from
 * a realistic mix — renewals with an order, refusals, callbacks, wrong numbers — so a demo
 * campaign produces results, webhooks and reports. A wrap-up they do not manage in time is ended
 * by the simulated agents' own timer.
 */
export function demoDispositions(
  deps: { dialer: Dialer; repos: Repositories; services: Services; logger: Logger },
  agentIds: readonly string[],
  random: () => number = Math.random,
): () => void {
  const log = deps.logger.child({ component: 'demo-agents' });
  const ids = new Set(agentIds);
  const principals = new Map<string, Principal>();
  const principal = async (agentId: string) => {
    let p = principals.get(agentId);
    if (!p) {
      const u = await deps.repos.users.get((await deps.repos.users.firstOrganisation())!.id, agentId);
      p = await consolePrincipal(deps.repos, u!.username);
      principals.set(agentId, p);
    }
    return p;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;

  const finish = async (agentId: string, attemptId: string) => {
    const p = await principal(agentId);
    const { services } = deps;
    let total = 0;
    for (const [, w] of MIX) total += w;
    let r = random() * total;
    let code = MIX[0]![0];
    for (const [c, w] of MIX)
      if ((r -= w) < 0) {
        code = c;
        break;
      }
    // Answer the script as far as this outcome goes (a wrong number is never asked anything).
    const answers: Record<string, unknown> = {};
    if (code !== 'wrong_number' && code !== 'refused') {
      for (let i = 0; i < 12; i++) {
        const s = await services.questionnaires.saveAnswers(p, attemptId, answers);
        const q = s.next;
        if (!q) break;
        if (q.key === 'identity') answers[q.key] = 'yes';
        else if (q.key === 'intent')
          answers[q.key] = code === 'renewed' ? 'renew' : code === 'no_interest' ? 'no' : 'thinking';
        else if (q.type === 'single') answers[q.key] = pick(q.options ?? []).value;
        else if (q.type === 'multiple') answers[q.key] = [pick(q.options ?? []).value];
        else if (q.type === 'rating') answers[q.key] = 3 + Math.floor(random() * 3);
        else if (q.type === 'number') answers[q.key] = 1;
        else if (q.type === 'date') answers[q.key] = '2027-01-01';
        else answers[q.key] = '客户很配合 Customer was helpful';
      }
    }
    const callbackAt = new Date(Date.now() + (1 + Math.floor(random() * 48)) * 3_600_000);
    await services.dispositions.record(p, attemptId, {
      code,
      notes: code === 'complaint' ? '客户投诉理赔太慢 Complains about slow claims' : '',
      ...(code === 'callback' || code === 'callback_any' ? { callbackAt } : {}),
      ...(code === 'renewed'
        ? {
            order: {
              lines:
                answers['plan'] === 'plus'
                  ? [
                      { sku: 'JQX', quantity: 1 },
                      { sku: 'SYX', quantity: 1 },
                    ]
                  : [{ sku: 'JQX', quantity: 1 }],
            },
          }
        : {}),
    });
  };

  return deps.dialer.bus.subscribe((e) => {
    if (e.type !== 'AgentStateChanged' || e.status !== 'wrap_up' || !ids.has(e.agentId)) return;
    const attemptId = deps.dialer.desk.get(e.agentId)?.state.callId;
    if (!attemptId) return;
    setTimeout(
      () => {
        finish(e.agentId, attemptId).catch((err: unknown) =>
          log.warn(
            { err, agentId: e.agentId, attemptId },
            'a simulated agent could not record the disposition; the wrap-up ends by its timer',
          ),
        );
      },
      1000 + random() * 2000,
    );
  });
}
