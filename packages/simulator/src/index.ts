export { parseScenario, ScenarioError, distMean, type Scenario, type Dist } from './scenario.ts';
export { simulateReplication, type ReplicationResult, type SimOptions } from './sim.ts';
export {
  runBench,
  runBenchParallel,
  runPacingBenchCli,
  runRandomSet,
  formatRandomSummary,
  type RandomSetResult,
  formatTable,
  aggregate,
  loadScenario,
  type BenchResult,
  type PolicyResult,
  type PacingBenchOptions,
} from './bench.ts';
export { makePolicy, POLICY_NAMES, isPolicyName, dialerSettings, type PolicyName } from './policies.ts';
export { hashUniform, sfc32, sampler } from './random.ts';
export { randomScenario } from './generate.ts';
