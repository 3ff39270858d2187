/**
 * Contract tests of the FreeSWITCH adapter against the event socket's documented messages
 * (mod_event_socket: auth/request, command/reply, api/response, text/event-plain with URL-encoded
 * values). FreeSWITCH itself does not run here: the far end is a scripted socket that speaks
 * those messages and records the commands it gets.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { realScheduler, type TelephonyEvent } from '@outdial/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { EslCarrier, EslParser, causeOutcome, parseEvent, type EslMessage } from './index.ts';

const reply = (text: string) => `Content-Type: command/reply\nReply-Text: ${text}\n\n`;
const apiResponse = (body: string) =>
  `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
function event(headers: Record<string, string>): string {
  const body =
    Object.entries({ 'Core-UUID': '6d2375b0-5183-11e1-b24c-f527b57af4c7', ...headers })
      .map(([k, v]) => `${k}: ${encodeURIComponent(v)}`)
      .join('\n') + '\n\n';
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`;
}

class FakeFreeSwitch {
  server!: Server;
  sock!: Socket;
  readonly commands: string[] = [];
  private waiters: { pred: (c: string) => boolean; resolve: (c: string) => void }[] = [];
  port = 0;

  async start(password = 'ClueCon'): Promise<void> {
    this.server = createServer((s) => {
      this.sock = s;
      s.write('Content-Type: auth/request\n\n');
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const cmd = buf.slice(0, i);
          buf = buf.slice(i + 2);
          this.commands.push(cmd);
          if (cmd.startsWith('auth ')) s.write(reply(cmd === `auth ${password}` ? '+OK accepted' : '-ERR invalid'));
          else if (cmd.startsWith('event ')) s.write(reply('+OK event listener enabled plain'));
          else if (cmd.startsWith('bgapi ')) {
            const job = /Job-UUID: (\S+)/.exec(cmd)?.[1] ?? 'x';
            s.write(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${job}\nJob-UUID: ${job}\n\n`);
          } else if (cmd.startsWith('api ')) s.write(apiResponse('+OK\n'));
          for (const w of [...this.waiters])
            if (w.pred(cmd)) {
              this.waiters.splice(this.waiters.indexOf(w), 1);
              w.resolve(cmd);
            }
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  command(pred: (c: string) => boolean): Promise<string> {
    const seen = this.commands.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  emit(headers: Record<string, string>): void {
    this.sock.write(event(headers));
  }

  close(): void {
    this.sock?.destroy();
    this.server.close();
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FreeSWITCH event socket adapter (contract)', () => {
  let fs: FakeFreeSwitch;
  let esl: EslCarrier;
  const events: TelephonyEvent[] = [];
  afterEach(() => {
    esl?.stop();
    fs?.close();
    events.length = 0;
  });
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await wait(5);
    expect(pred()).toBe(true);
  };
  const setup = async (password = 'ClueCon') => {
    fs = new FakeFreeSwitch();
    await fs.start();
    esl = new EslCarrier(
      {
        host: '127.0.0.1',
        port: fs.port,
        password,
        customerDialString: 'sofia/gateway/{trunk}/{number}',
        agentDialString: 'user/{agent}',
        prompts: { abandon: '/sounds/abandon.wav', ivr: '/sounds/menu.wav' },
      },
      realScheduler,
    );
    esl.subscribe((e) => events.push(e));
    await esl.start();
  };

  it('authenticates and subscribes to the channel events', async () => {
    await setup();
    expect(fs.commands[0]).toBe('auth ClueCon');
    expect(fs.commands[1]).toMatch(/^event plain .*CHANNEL_ANSWER.*CHANNEL_HANGUP_COMPLETE.*DTMF/);
  });

  it('refuses a wrong password', async () => {
    await expect(setup('wrong')).rejects.toThrow(/auth refused/);
  });

  it('originates with the attempt as the channel uuid, reports ringing and the answer, bridges the agent, ends on the customer’s BYE', async () => {
    await setup();
    esl.originate({
      callId: 'c1',
      to: '+86 138-0000-0001',
      callerId: '+861088880000',
      ringTimeoutMs: 25_000,
      amd: false,
      trunk: 'carrier',
    });
    const orig = await fs.command((c) => c.startsWith('bgapi originate'));
    expect(orig).toMatch(
      /^bgapi originate \{origination_uuid=c1,origination_caller_id_number=\+861088880000,originate_timeout=25,ignore_early_media=false,outdial_attempt=c1\}sofia\/gateway\/carrier\/\+8613800000001 &park\(\)\nJob-UUID: /,
    );
    fs.emit({ 'Event-Name': 'CHANNEL_PROGRESS', 'Unique-ID': 'c1' });
    fs.emit({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'c1', 'Answer-State': 'answered' });
    await until(() => events.some((e) => e.type === 'answered'));
    expect(events.map((e) => e.type)).toEqual(['ringing', 'answered']);
    esl.connect('c1', 'agent7');
    expect(await fs.command((c) => c.includes('origination_uuid=c1-agent'))).toMatch(/\}user\/agent7 &park\(\)/);
    fs.emit({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'c1-agent' });
    expect(await fs.command((c) => c.startsWith('api uuid_bridge'))).toBe('api uuid_bridge c1 c1-agent');
    await until(() => events.some((e) => e.type === 'connected'));
    fs.emit({
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Unique-ID': 'c1',
      'Hangup-Cause': 'NORMAL_CLEARING',
      'Hangup-Disposition': 'recv_bye',
      variable_sip_term_status: '200',
    });
    await until(() => events.some((e) => e.type === 'ended'));
    expect(events.at(-1)).toMatchObject({ type: 'ended', callId: 'c1', cause: 'customer_hangup', sipCode: 200 });
    expect(esl.activeCalls).toBe(0);
  });

  it('maps hangup causes before an answer, and a withdrawal', async () => {
    await setup();
    esl.originate({ callId: 'c2', to: '+8613800000002', callerId: '', ringTimeoutMs: 20_000, amd: false });
    fs.emit({
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Unique-ID': 'c2',
      'Hangup-Cause': 'USER_BUSY',
      variable_sip_term_status: '486',
    });
    esl.originate({ callId: 'c3', to: '+8613899999999', callerId: '', ringTimeoutMs: 20_000, amd: false });
    fs.emit({
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Unique-ID': 'c3',
      'Hangup-Cause': 'UNALLOCATED_NUMBER',
      variable_sip_term_status: '404',
    });
    esl.originate({ callId: 'c4', to: '+8613800000003', callerId: '', ringTimeoutMs: 20_000, amd: false });
    fs.emit({ 'Event-Name': 'CHANNEL_PROGRESS', 'Unique-ID': 'c4' });
    await until(() => events.some((e) => e.type === 'ringing' && e.callId === 'c4'));
    esl.hangup('c4', 'cancelled');
    expect(await fs.command((c) => c.startsWith('api uuid_kill c4'))).toBe('api uuid_kill c4 ORIGINATOR_CANCEL');
    fs.emit({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Unique-ID': 'c4', 'Hangup-Cause': 'ORIGINATOR_CANCEL' });
    await until(() => events.filter((e) => e.type === 'ended').length === 3);
    const ends = events.filter((e) => e.type === 'ended');
    expect(ends).toEqual([
      expect.objectContaining({ callId: 'c2', cause: 'busy', sipCode: 486, reason: 'busy' }),
      expect.objectContaining({ callId: 'c3', cause: 'failed', sipCode: 404, reason: 'not_found' }),
      expect.objectContaining({ callId: 'c4', cause: 'cancelled', sipCode: 487 }),
    ]);
  });

  it('plays the IVR prompt, reports keys, and plays the abandon message before hanging up', async () => {
    await setup();
    esl.originate({ callId: 'c5', to: '+8613800000001', callerId: '', ringTimeoutMs: 20_000, amd: false });
    fs.emit({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'c5' });
    await until(() => events.some((e) => e.type === 'answered'));
    esl.playPrompt('c5', 'ivr');
    expect(await fs.command((c) => c.startsWith('api uuid_broadcast'))).toBe(
      'api uuid_broadcast c5 /sounds/menu.wav aleg',
    );
    fs.emit({ 'Event-Name': 'DTMF', 'Unique-ID': 'c5', 'DTMF-Digit': '9', 'DTMF-Duration': '2000' });
    await until(() => events.some((e) => e.type === 'dtmf'));
    expect(events.find((e) => e.type === 'dtmf')).toMatchObject({ digit: '9' });
    esl.abandon('c5');
    expect(await fs.command((c) => c.startsWith('api uuid_transfer'))).toBe(
      "api uuid_transfer c5 'playback:/sounds/abandon.wav,hangup:NORMAL_CLEARING' inline",
    );
    fs.emit({
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Unique-ID': 'c5',
      'Hangup-Cause': 'NORMAL_CLEARING',
      'Hangup-Disposition': 'send_bye',
    });
    await until(() => events.some((e) => e.type === 'ended'));
    expect(events.at(-1)).toMatchObject({ cause: 'abandoned' });
  });
});

describe('ESL framing', () => {
  it('cuts messages by Content-Length across chunks and decodes event values', () => {
    const got: EslMessage[] = [];
    const p = new EslParser((m) => got.push(m));
    const e = event({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u1', 'Caller-Caller-ID-Name': '张 三' });
    const all = Buffer.from(reply('+OK accepted') + e + apiResponse('+OK\n'));
    for (let i = 0; i < all.length; i += 7) p.push(all.subarray(i, i + 7));
    expect(got.map((m) => m.headers['Content-Type'])).toEqual(['command/reply', 'text/event-plain', 'api/response']);
    expect(parseEvent(got[1]!.body).headers).toMatchObject({
      'Event-Name': 'CHANNEL_ANSWER',
      'Caller-Caller-ID-Name': '张 三',
    });
    expect(got[2]!.body).toBe('+OK\n');
  });

  it('maps Q.850 causes', () => {
    expect(causeOutcome('NO_ANSWER', null)).toMatchObject({ cause: 'no_answer' });
    expect(causeOutcome('CALL_REJECTED', 603)).toMatchObject({ cause: 'busy', reason: 'declined', sip: 603 });
    expect(causeOutcome('NORMAL_TEMPORARY_FAILURE', 503)).toMatchObject({ cause: 'failed', reason: 'congestion' });
  });
});
