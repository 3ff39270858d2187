import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { memoryLogger } from './http/testing/log.ts';
import { serve, type RunningServer } from './serve.ts';

const PASSWORD = 'serve-test-pass-1';

/** Sends raw bytes and collects what comes back until the server closes the connection. */
function raw(port: number, bytes: string): { socket: Socket; reply: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  socket.write(bytes);
  const reply = new Promise<string>((resolve) => {
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('utf8')));
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
  return { socket, reply };
}

describe('the server process at its edges', () => {
  let server: RunningServer;
  let port: number;
  const logs: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-serve-'));
    const config = loadConfig(
      {
        OUTDIAL_DATA_DIR: dir,
        OUTDIAL_PORT: '0',
        OUTDIAL_DEMO_PASSWORD: PASSWORD,
        OUTDIAL_SIMULATED_AGENTS: '0',
      },
      dir,
    );
    server = await serve(config, { demo: true, logger: memoryLogger(logs, 'info'), closeGraceMs: 500 });
    port = Number(new URL(server.url).port);
  }, 120_000);
  afterAll(async () => server?.stop());

  it('answers a request that is not HTTP in the API error shape', async () => {
    const { reply } = raw(port, 'THIS IS NOT HTTP\r\n\r\n');
    const text = await reply;
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;
    expect(body).toMatchObject({ error: { code: 'validation_failed', details: { cause: expect.any(String) } } });
  });

  it('stops within its grace period while an upload hangs half-sent, and leaves no file', async () => {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    // Announces 5 MB, sends a few bytes, then nothing: the request stays in flight.
    const { reply } = raw(
      port,
      `POST /api/v1/projects/DEMO-RENEW/imports?filename=list.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: Bearer ${token}\r\nContent-Type: text/csv\r\nContent-Length: 5000000\r\n\r\n手机号,保单号\n1380013`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await server.stop();
    expect(performance.now() - t0).toBeLessThan(15_000); // without the grace period it never returns
    await reply; // the connection was closed
    expect(logs.some((l) => l.includes('requests still open when stopping'))).toBe(true);
    const { readdirSync } = await import('node:fs');
    let left: string[];
    try {
      left = readdirSync(join(server.platform.config.dataDir, 'uploads'));
    } catch {
      left = [];
    }
    expect(left).toEqual([]);
  }, 60_000);
});
