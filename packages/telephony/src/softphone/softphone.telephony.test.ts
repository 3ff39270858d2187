/**
 * The browser softphone end to end: Debian's Chromium (headless, fake microphone) loads a
 * page with the softphone wired as the workstation's phone panel wires it (PhoneController over
 * Softphone: demo/page.ts), registers over WebSocket at the agents' Kamailio, and the platform
 * bridges a real customer call (baresip) to it; rtpengine turns DTLS-SRTP into plain RTP. One
 * page answers by itself, the other rings until the test presses Answer, then mutes, holds,
 * resumes, sends keys and hangs up through the controller. The React panel itself is not
 * brought up here (it renders the same controller's view). The suite runs in a loopback-only
 * network namespace (tools/telephony/netns.sh), so the browser can offer no other address.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../media/recording.ts';
import { toneSeconds } from '../media/tones.ts';
import type { SipCarrier } from '../sip/carrier.ts';
import { missingBinaries } from '../peers/peers.ts';
import { EventLog, NUMBERS, PORTS, TONES, startRig, type Rig } from '../peers/rig.ts';

const CHROMIUM = process.env['OUTDIAL_CHROMIUM'] ?? '/usr/bin/chromium';
const missing = missingBinaries(['baresip', 'rtpengine', 'kamailio', 'sox', CHROMIUM]);
if (missing.length) console.warn(`softphone test skipped: missing ${missing.join(', ')} (see docs/telephony.md)`);

const here = fileURLToPath(new URL('.', import.meta.url));

describe.skipIf(missing.length > 0)('browser softphone (Chromium + JsSIP) through Kamailio and rtpengine', () => {
  let rig: Rig;
  let carrier: SipCarrier;
  let log: EventLog;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let ringing: Page;

  beforeAll(async () => {
    rig = await startRig();
    carrier = await rig.carrier();
    log = new EventLog(carrier);
    const bundle = await build({
      entryPoints: [join(here, 'demo', 'page.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome110',
    });
    const js = bundle.outputFiles[0]!.text;
    const html = readFileSync(join(here, 'demo', 'index.html'), 'utf8');
    server = createServer((req, res) => {
      if (req.url?.startsWith('/softphone-demo.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--allow-loopback-in-peer-connection',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
      ],
    });
    const open = async (query: string) => {
      const p = await browser.newPage();
      p.on('console', (m) => process.env['OUTDIAL_TELEPHONY_DEBUG'] && console.log(`[browser] ${m.text()}`));
      await p.goto(`http://127.0.0.1:${port}/?ws=ws://127.0.0.1:${PORTS.ws}&${query}`);
      await p.waitForFunction(
        () => (window as unknown as { softphone: { state(): string } }).softphone.state() === 'registered',
        undefined,
        { timeout: 15_000 },
      );
      return p;
    };
    page = await open('uri=sip:agent2@127.0.0.1');
    ringing = await open('uri=sip:agent4@127.0.0.1&autoAnswer=0');
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    await rig?.stop();
  });

  it('a customer call bridged to the softphone carries audio both ways and is recorded', async () => {
    const callId = `browser-${process.pid}`;
    carrier.originate({ callId, to: NUMBERS.answers, callerId: '+861088880000', ringTimeoutMs: 15_000, amd: false });
    await log.next(callId, 'answered');
    const t0 = Date.now();
    carrier.connect(callId, 'agent2');
    await log.next(callId, 'connected', 15_000);
    const setupMs = Date.now() - t0;
    await page.waitForFunction(
      () =>
        (window as unknown as { softphone: { calls(): { state: string }[] } }).softphone
          .calls()
          .some((c) => c.state === 'connected'),
      undefined,
      { timeout: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 4000));
    const stats = (await page.evaluate(() =>
      (window as unknown as { softphone: { stats(): Promise<unknown> } }).softphone.stats(),
    )) as { packetsReceived: number; packetsSent: number };
    const calls = (await page.evaluate(() =>
      (window as unknown as { softphone: { calls(): unknown } }).softphone.calls(),
    )) as { attemptId: string | null }[];
    // The browser hangs up, as an agent would.
    await page.evaluate(() => (window as unknown as { softphone: { hangup(): void } }).softphone.hangup());
    const ended = await log.next(callId, 'ended', 10_000);
    expect(ended.cause).toBe('agent_hangup');
    console.log(
      `softphone bridge set-up ${setupMs} ms; browser received ${stats.packetsReceived}, sent ${stats.packetsSent} packets`,
    );
    expect(calls[0]!.attemptId).toBe(callId);
    // 4 s of 20 ms packets ≈ 200 each way.
    expect(stats.packetsReceived).toBeGreaterThan(100);
    expect(stats.packetsSent).toBeGreaterThan(100);
    const rec = await log.next(callId, 'recorded', 10_000);
    const [customer, agent] = readWav(rec.path).channels as [Int16Array, Int16Array];
    expect(toneSeconds(customer, 8000, TONES.customer)).toBeGreaterThan(3);
    // Chromium's fake microphone beeps: the browser's side is not silent, and not the customer's tone.
    let energy = 0;
    for (const s of agent) energy += s * s;
    expect(Math.sqrt(energy / Math.max(1, agent.length))).toBeGreaterThan(100);
    expect(toneSeconds(agent, 8000, TONES.customer)).toBe(0);
  });

  it('the panel with auto-answer off rings, is answered, mutes, holds and resumes, sends keys and hangs up', async () => {
    type View = {
      registration: string;
      mic: string | null;
      call: { attemptId: string | null; status: string; muted: boolean; held: boolean; digits: string } | null;
    };
    type Phone = {
      view(): View;
      answer(): void;
      mute(): void;
      hold(): void;
      dtmf(k: string): void;
      hangup(): void;
      stats(): Promise<{ packetsReceived: number; packetsSent: number } | null>;
    };
    const view = async () => ringing.evaluate(() => (window as unknown as { softphone: Phone }).softphone.view());
    const press = async (action: 'answer' | 'mute' | 'hold' | 'hangup') =>
      ringing.evaluate((a) => (window as unknown as { softphone: Phone }).softphone[a](), action);
    const stats = async () =>
      (await ringing.evaluate(() => (window as unknown as { softphone: Phone }).softphone.stats()))!;
    const until = async (what: string, ok: (v: View) => boolean, ms = 10_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const v = await view();
        if (ok(v)) return v;
        if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const callId = `panel-${process.pid}`;
    carrier.originate({ callId, to: NUMBERS.answers, callerId: '+861088880000', ringTimeoutMs: 15_000, amd: false });
    await log.next(callId, 'answered');
    carrier.connect(callId, 'agent4');
    const rang = await until('ringing', (v) => v.call?.status === 'ringing');
    expect(rang.call?.attemptId).toBe(callId);
    expect(rang.mic).toBeNull();
    // It keeps ringing: nothing is connected before the agent answers.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await view()).call?.status).toBe('ringing');
    await press('answer');
    await log.next(callId, 'connected', 15_000);
    await until('active', (v) => v.call?.status === 'active');
    await new Promise((r) => setTimeout(r, 1500));
    const before = await stats();
    await press('mute');
    expect((await view()).call?.muted).toBe(true);
    await press('mute');
    // Hold and resume: re-INVITEs through Kamailio and rtpengine to the platform; the call stays up.
    await press('hold');
    await until('held', (v) => v.call?.held === true);
    await new Promise((r) => setTimeout(r, 1000));
    await press('hold');
    await until('resumed', (v) => v.call?.held === false && v.call.status === 'active');
    const customerLog = rig.customers.answers.log().length;
    await ringing.evaluate(() => {
      const p = (window as unknown as { softphone: Phone }).softphone;
      p.dtmf('5');
      p.dtmf('#');
    });
    expect((await view()).call?.digits).toBe('5#');
    await new Promise((r) => setTimeout(r, 1500));
    const after = await stats();
    // Audio kept flowing both ways across hold and resume (~50 packets a second each way).
    expect(after.packetsReceived - before.packetsReceived).toBeGreaterThan(100);
    expect(after.packetsSent - before.packetsSent).toBeGreaterThan(100);
    // The keys reached the customer's phone as RFC 4733 events (browser → rtpengine → baresip).
    const heard = () => rig.customers.answers.log().slice(customerLog);
    for (let i = 0; i < 50 && !heard().includes("received event: '#'"); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(heard()).toContain("received event: '5'");
    expect(heard()).toContain("received event: '#'");
    await press('hangup');
    const ended = await log.next(callId, 'ended', 10_000);
    expect(ended.cause).toBe('agent_hangup');
    await until('ended', (v) => v.call?.status === 'ended');
  });
});
