export * from './rtp.ts';
export * from './amd.ts';
export * from './recording.ts';
export * from './tones.ts';
