export { buildApp } from './http/app.ts';
export type { HttpContext } from './http/context.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { openPlatform, type Platform } from './platform.ts';
export { serve } from './serve.ts';
export { seedDemo, DEMO_PROJECT } from './demo.ts';
