export * from './types.ts';
export * from './baselines.ts';
export * from './predictive.ts';
export { SortedWindow, EwmaRate, normalCdf, normalInv } from './stats.ts';
