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

export function runTask(t: Task): ReplicationResult {
  const { policy, agentBound } = makePolicy(t.policy, t.scenario);
  return simulateReplication(t.scenario, policy, t.rep, { days: t.days, agentBound });
}
