/**
 * The live dialer end to end: from `serve --demo` and the API alone, start the demo predictive campaign
 * with simulated calls, log an agent in over WebSocket, receive a routed call, end it with a
 * disposition, and see the contact's next step. Also: a supervisor follows the campaign live,
 * bad messages get clear errors, and an agent whose connection drops stops receiving calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { DEMO_CAMPAIGN, DEMO_PROJECT } from './demo.ts';
import { memoryLogger } from './http/testing/log.ts';
import { serve, type RunningServer } from './serve.ts';

const PASSWORD = 'ws-test-pass';

interface Msg {
  type: string;
  [k: string]: unknown;
}

/** A WebSocket client that keeps every message and lets the test wait for one. */
class Client {
  readonly got: Msg[] = [];
  private readonly waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private seq = 0;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(Buffer.isBuffer(d) ? d.toString('utf8') : '') as Msg;
      this.got.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }
  static async open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(url, { headers });
    const c = new Client(ws);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return c;
  }
  wait(pred: (m: Msg) => boolean, ms = 30_000, what = 'message'): Promise<Msg> {
    const seen = this.got.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.got.slice(-5))}`)),
        ms,
      );
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }
  /** Sends a request and resolves with its ack or error. */
  async request(m: Record<string, unknown>): Promise<Msg> {
    const id = `r${++this.seq}`;
    const reply = this.wait(
      (x) => (x.type === 'ack' || x.type === 'error') && x['id'] === id,
      15_000,
      `reply to ${String(m['type'])}`,
    );
    this.ws.send(JSON.stringify({ ...m, id }));
    return reply;
  }
  close(): void {
    this.ws.close();
  }
}

describe('agents and supervisors over WebSocket, on the demo', () => {
  let server: RunningServer;
  let dir: string;
  let api: (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
  ) => Promise<{ status: number; body: Record<string, unknown> }>;
  let wsUrl: string;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outdial-ws-'));
    // No simulated agents: the agent logged in by this test is the only one, so the call is theirs.
    // Callees who mostly answer, and soon: with one agent, predictive dials a line or two at a
    // time, and a run of unanswered 25-second rings must not decide whether the test passes.
    const carrier = { personRate: 0.9, machineRate: 0, busyRate: 0.05, failedRate: 0, meanRingMs: 1500 };
    const config = loadConfig(
      {
        OUTDIAL_DATA_DIR: dir,
        OUTDIAL_PORT: '0',
        OUTDIAL_DEMO_PASSWORD: PASSWORD,
        OUTDIAL_SIMULATED_AGENTS: '0',
        OUTDIAL_LOG_LEVEL: 'silent',
        OUTDIAL_SIMULATED_CARRIER: JSON.stringify(carrier),
      },
      dir,
    );
    server = await serve(config, { demo: true, logger: memoryLogger(logs, 'info') });
    api = async (method, path, token, body) => {
      const res = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    wsUrl = `${server.url.replace(/^http/, 'ws')}/api/v1/ws`;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = async (username: string) =>
    (await api('POST', '/auth/login', undefined, { username, password: PASSWORD })).body['token'] as string;

  it("an agent takes a routed call, hangs up, records a disposition, and sees the contact's next step", async () => {
    const admin = await login('admin');
    const supervisor = await login('supervisor');
    const agentToken = await login('agent01');
    // Calls around the clock, so the test does not depend on the hour it runs at.
    const allDay = Object.fromEntries(
      ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]),
    );
    const project = await api('GET', `/projects/${DEMO_PROJECT}`, admin);
    const rules = { ...(project.body['rules'] as Record<string, unknown>), callingWindows: allDay, holidays: [] };
    expect((await api('PATCH', `/projects/${DEMO_PROJECT}`, admin, { rules })).status).toBe(200);
    // A questionnaire and a knowledge prompt for the project's calls.
    const imported = await api('POST', `/projects/${DEMO_PROJECT}/questionnaires`, admin, {
      format: 'outdial.questionnaire/1',
      code: 'WS',
      title: { zh: '回访', en: 'Follow-up' },
      questions: [
        { key: 'hello', type: 'script', text: { zh: '您好{name}，这里是续保回访。' } },
        {
          key: 'renew',
          type: 'single',
          text: { zh: '您考虑续保吗？' },
          required: true,
          options: [
            { value: 'yes', label: { zh: '是' } },
            { value: 'no', label: { zh: '否' } },
          ],
        },
      ],
    });
    expect(imported.status).toBe(201);
    expect((await api('POST', `/questionnaires/${String(imported.body['id'])}/publish`, admin)).status).toBe(201);
    await api('POST', `/questionnaires/${String(imported.body['id'])}/activate`, admin);
    await api('PUT', `/projects/${DEMO_PROJECT}/knowledge`, admin, {
      rules: [{ keywords: ['退款'], title: { zh: '退款政策' }, body: { zh: '七天无理由退款。' } }],
    });
    const list = await api('GET', '/campaigns', admin);
    const campaign = (list.body['items'] as { id: string; name: string }[]).find((c) => c.name === DEMO_CAMPAIGN)!;
    expect(campaign).toBeDefined();

    // The supervisor authenticates with a first message (as a browser must) and follows the campaign.
    const sup = await Client.open(wsUrl);
    expect((await sup.request({ type: 'login' })).type).toBe('error'); // not authenticated yet
    sup.ws.send(JSON.stringify({ type: 'auth', token: supervisor }));
    await sup.wait((m) => m.type === 'hello', 10_000, 'hello');
    expect(await sup.request({ type: 'subscribe', campaignId: campaign.id })).toMatchObject({ type: 'ack' });

    // The agent connects with a bearer header, logs in (paused after login), and becomes ready.
    const agent = await Client.open(wsUrl, { authorization: `Bearer ${agentToken}` });
    expect(await agent.wait((m) => m.type === 'hello')).toMatchObject({
      username: 'agent01',
      canTakeCalls: true,
      callControls: { hold: true, transfer: true },
    });
    expect(await agent.request({ type: 'login' })).toMatchObject({
      type: 'ack',
      result: { status: 'paused', pauseReason: 'login' },
    });
    expect(await agent.request({ type: 'dance' })).toMatchObject({ type: 'error', code: 'validation_failed' });
    expect(await agent.request({ type: 'disposition', code: 'success' })).toMatchObject({
      type: 'error',
      code: 'invalid_state',
    });
    expect(await agent.request({ type: 'ready' })).toMatchObject({ type: 'ack', result: { status: 'ready' } });

    expect((await api('POST', `/campaigns/${campaign.id}/start`, supervisor)).status).toBe(200);

    // A person answers somewhere; the call is routed to the only ready agent: the screen pop.
    const call = await agent
      .wait((m) => m.type === 'call', 120_000, 'a routed call')
      .catch(async (err: unknown) => {
        // Say why: the campaign's state, its figures and what the supervisor saw.
        const c = await api('GET', `/campaigns/${campaign.id}`, supervisor);
        const stats = await api('GET', `/campaigns/${campaign.id}/stats`, supervisor);
        throw new Error(
          `${String(err)}\ncampaign: ${JSON.stringify(c.body)}\nstats: ${JSON.stringify(stats.body)}\nsupervisor saw: ${JSON.stringify(sup.got.slice(-20))}\nserver log: ${logs.slice(-30).join('\n')}`,
        );
      });
    const attemptId = call['attemptId'] as string;
    const contact = call['contact'] as { id: string; phone: string; masked: boolean; name: string };
    expect(contact.masked).toBe(true);
    expect(contact.phone).toContain('*');
    expect((call['dispositions'] as { code: string }[]).map((d) => d.code)).toContain('callback');
    // The pop carries the script, rendered for this contact: the greeting to read, then the first question.
    expect(call['script']).toMatchObject({
      questionnaire: { code: 'WS', version: 1 },
      scripts: [{ key: 'hello', text: { zh: `您好${contact.name}，这里是续保回访。` } }],
      next: { key: 'renew', required: true },
    });
    // Answers over the connection are validated (naming the question) and saved; notes bring knowledge prompts.
    expect(await agent.request({ type: 'answers', answers: { renew: 'maybe' } })).toMatchObject({
      type: 'error',
      code: 'validation_failed',
      details: { errors: [{ question: 'renew', code: 'invalid_answer' }] },
    });
    expect(await agent.request({ type: 'answers', answers: { renew: 'yes' } })).toMatchObject({
      type: 'ack',
      result: { ended: true, complete: true, answers: { renew: 'yes' } },
    });
    expect(await agent.request({ type: 'notes', text: '客户问能不能退款' })).toMatchObject({ type: 'ack' });
    expect(await agent.wait((m) => m.type === 'knowledge', 5000, 'knowledge')).toMatchObject({
      attemptId,
      prompts: [{ title: { zh: '退款政策' } }],
    });
    await agent.wait(
      (m) => m.type === 'state' && (m['state'] as { status: string }).status === 'talking',
      5000,
      'talking',
    );
    expect(await agent.request({ type: 'disposition', code: 'callback' })).toMatchObject({
      type: 'error',
      details: { reason: 'still_talking' },
    });

    // Hold and resume over the connection; the only agent has no one to transfer to.
    expect(await agent.request({ type: 'hold', on: true })).toMatchObject({
      type: 'ack',
      result: { attemptId, on: true },
    });
    await agent.wait((m) => m.type === 'hold' && m['on'] === true, 5000, 'on hold');
    expect(await agent.request({ type: 'hold', on: false })).toMatchObject({ type: 'ack', result: { on: false } });
    expect(await agent.request({ type: 'transfer_targets' })).toMatchObject({ type: 'ack', result: { agents: [] } });
    expect(await agent.request({ type: 'transfer', to: 'agent02', mode: 'blind' })).toMatchObject({
      type: 'error',
      code: 'invalid_state',
      details: { reason: 'target_not_ready' },
    });
    expect(await agent.request({ type: 'transfer', to: 'nobody', mode: 'sideways' })).toMatchObject({
      type: 'error',
      code: 'validation_failed',
    });

    // The agent ends the call and records a callback two days ahead.
    expect(await agent.request({ type: 'hangup' })).toMatchObject({ type: 'ack', result: { attemptId } });
    await agent.wait((m) => m.type === 'call_ended' && m['attemptId'] === attemptId, 10_000, 'call_ended');
    const callbackAt = new Date(Date.now() + 2 * 86_400_000).toISOString();
    expect(await agent.request({ type: 'disposition', code: 'no_such_code' })).toMatchObject({
      type: 'error',
      code: 'validation_failed',
      details: { allowed: expect.arrayContaining(['callback']) },
    });
    const done = await agent.request({
      type: 'disposition',
      code: 'callback',
      notes: '客户说周三再打',
      callbackAt,
      pause: 'coaching',
    });
    expect(done).toMatchObject({
      type: 'ack',
      result: { attemptId, code: 'callback', next: { kind: 'callback', at: Date.parse(callbackAt) } },
    });
    await agent.wait(
      (m) => m.type === 'state' && (m['state'] as { pauseReason: string }).pauseReason === 'coaching',
      5000,
      'paused for coaching',
    );

    // The contact's next step, as the agent sees it through the API.
    const seen = await api('GET', `/contacts/${contact.id}`, agentToken);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ status: 'callback', callbackAt, masked: true });
    const attempt = await api('GET', `/attempts/${attemptId}`, agentToken);
    expect(attempt.body).toMatchObject({
      outcome: 'person',
      hangupSide: 'agent',
      disposition: { code: 'callback', notes: '客户说周三再打' },
      answers: { code: 'WS', version: 1, values: { renew: 'yes' }, complete: true },
    });
    // Exactly once: a second disposition is refused.
    expect((await api('POST', `/attempts/${attemptId}/disposition`, agentToken, { code: 'wrong_number' })).status).toBe(
      409,
    );

    // The supervisor saw it happen: events and live figures of the campaign.
    await sup.wait(
      (m) => m.type === 'event' && (m['event'] as { type: string }).type === 'disposition.recorded',
      10_000,
      'disposition.recorded',
    );
    expect(sup.got.some((m) => m.type === 'event' && (m['event'] as { type: string }).type === 'call.placed')).toBe(
      true,
    );
    const stats = await sup.wait(
      (m) => m.type === 'stats' && (m['stats'] as { running: boolean }).running,
      10_000,
      'stats',
    );
    expect((stats['stats'] as { dials: number }).dials).toBeGreaterThan(0);

    // The agent's browser vanishes: the agent stops receiving calls at once.
    expect(await agent.request({ type: 'ready' })).toMatchObject({ type: 'ack' });
    agent.ws.terminate();
    let state: { status: string; pauseReason: string | null } | undefined;
    for (let i = 0; i < 50; i++) {
      const agents = await api('GET', '/dialer/agents', supervisor);
      const me = (agents.body['items'] as { agentId: string; status: string; pauseReason: string | null }[]).find(
        (a) => a.agentId === attempt.body['agentUserId'],
      );
      state = me;
      if (me && me.status !== 'ready' && me.status !== 'reserved') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state?.status === 'paused' ? state.pauseReason : state?.status).toMatch(/connection_lost|talking|wrap_up/);

    await api('POST', `/campaigns/${campaign.id}/stop`, supervisor);
    sup.close();
  }, 200_000);

  it('refuses a connection without a valid token', async () => {
    const c = await Client.open(wsUrl);
    c.ws.send(JSON.stringify({ type: 'auth', token: 'not-a-token' }));
    expect(await c.wait((m) => m.type === 'error')).toMatchObject({ code: 'unauthenticated' });
    await new Promise((r) => c.ws.once('close', r));
  });
});
