import { makePolicy, type PolicyName } from './policies.ts';
import type { Scenario } from './scenario.ts';
import { simulateReplication, type ReplicationResult } from './sim.ts';

/** One unit of benchmark work: a policy's replication. Plain data in and out (worker threads). */
export interface Task {
  scenario: Scenario;
  policy: PolicyName;
  rep: number;
  days: number;
}

/**
 * Every working day starts afresh: the baselines restart at their initial level each day. The
 * project's predictive policy keeps what it learned and its 30-day abandon ledger across days,
 * as the live dialer does (its counts are seeded from the database).
 */
export function runTask(t: Task): ReplicationResult {
  const { policy, agentBound } = makePolicy(t.policy, t.scenario);
  const keep = t.policy === 'predictive';
  return simulateReplication(t.scenario, policy, t.rep, {
    days: t.days,
    agentBound,
    ...(keep ? {} : { policyForDay: () => makePolicy(t.policy, t.scenario).policy }),
  });
}
