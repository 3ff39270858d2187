export * from './types.ts';
export * from './baselines.ts';
export * from './predictive.ts';
export * from './governor.ts';
export * from './limits.ts';
export { SortedWindow, EwmaRate, normalCdf, normalInv } from './stats.ts';
export { RollingCounts } from './rolling.ts';
export {
  checkBreaker,
  defaultBreakerLimits,
  type BreakerInput,
  type BreakerLimits,
  type BreakerTrip,
} from './breaker.ts';
