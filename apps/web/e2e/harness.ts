import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const PASSWORD = 'e2e-demo-pass-123';
/** Screenshots of every main screen in both languages (committed; named in the README). */
export const SHOTS = join(ROOT, 'docs', 'screenshots');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
  log(): string;
}

/**
 * The real server (`outdial serve --demo`) on a free port with a fresh data folder, the built web
 * app, no simulated agents (the browser's agent takes the calls) and a simulated carrier whose
 * callees answer quickly and stay on the line.
 */
export async function startServer(): Promise<RunningServer> {
  if (!existsSync(join(ROOT, 'apps/web/dist/index.html')))
    throw new Error('build the web app first: npm run build:web');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'outdial-e2e-'));
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'apps/server/bin/outdial.mjs'), 'serve', '--demo'], {
    cwd: ROOT,
    env: {
      ...process.env,
      OUTDIAL_HOST: '127.0.0.1',
      OUTDIAL_PORT: String(port),
      OUTDIAL_DATA_DIR: dataDir,
      OUTDIAL_DEMO_PASSWORD: PASSWORD,
      OUTDIAL_SIMULATED_AGENTS: '0',
      OUTDIAL_LOG_LEVEL: 'warn',
      OUTDIAL_SIMULATED_CARRIER: JSON.stringify({
        personRate: 0.95,
        machineRate: 0,
        busyRate: 0,
        failedRate: 0,
        meanRingMs: 800,
        meanTalkMs: 900_000,
        customerPatienceMs: 60_000,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    log: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            r(undefined);
          }, 10_000);
          child.once('exit', () => {
            clearTimeout(t);
            r(undefined);
          });
        });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium (never a downloaded browser). */
export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

export async function login(page: Page, url: string, username: string, lang: 'zh-CN' | 'en' = 'zh-CN'): Promise<void> {
  await page.goto(`${url}/login`);
  await page.evaluate((l) => localStorage.setItem('outdial.lang', l), lang);
  await page.reload();
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

export function cleanShots(): void {
  rmSync(SHOTS, { recursive: true, force: true });
}
