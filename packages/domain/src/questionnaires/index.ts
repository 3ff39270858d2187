export * from './types.ts';
export * from './conditions.ts';
export * from './walk.ts';
export * from './validate.ts';
export * from './answers.ts';
export * from './render.ts';
export * from './bank.ts';
export * from './knowledge.ts';
