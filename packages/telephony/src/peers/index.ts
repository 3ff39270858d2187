export * from './peers.ts';
export * from './rig.ts';
