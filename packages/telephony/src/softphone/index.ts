/// <reference lib="dom" />
/**
 * The agent's browser softphone: SIP over WebSocket (JsSIP) to the agents' Kamailio, which
 * has rtpengine turn the browser's ICE + DTLS-SRTP into plain RTP for the platform. The agent
 * workstation (apps/web) embeds it: create it with the agent's SIP identity once they log in;
 * calls the dialer bridges to the agent ring here and are answered at once (the dialer has
 * already chosen this agent), or on the agent's click when `autoAnswer` is off.
 *
 * Browser-only (needs WebRTC); bundle it with the app (JsSIP on npm ships no browser bundle).
 * The workstation drives it through `PhoneController` (./controller.ts, no JsSIP, no React),
 * loading this module lazily only when the agent has a browser phone.
 */
import { C, UA, WebSocketInterface } from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';

export interface SoftphoneOptions {
  /** ws://host:port of the agents' Kamailio (wss:// in production, behind TLS). */
  wsUrl: string;
  /** The agent's SIP URI, e.g. sip:agent7@example.com. */
  uri: string;
  password?: string;
  displayName?: string;
  /** Answer bridged calls by themselves (default true). */
  autoAnswer?: boolean;
  /** Where the far end's audio plays (an <audio> element); created when absent. */
  audio?: HTMLAudioElement;
  /** Microphone constraints; the default device when absent. */
  microphone?: MediaTrackConstraints | true;
}

export type SoftphoneState = 'connecting' | 'registered' | 'unregistered' | 'failed';

export interface SoftphoneCall {
  /** The dialer's attempt id (from the Call-Info header the platform sends), if present. */
  attemptId: string | null;
  remote: string;
  answer(): void;
  /** Ends the call: a ringing call is declined (486), an answered one gets a BYE. */
  hangup(): void;
  /** Puts the call on hold (re-INVITE, sendonly) or takes it off; false when it cannot now. */
  hold(on: boolean): boolean;
  mute(on: boolean): void;
  /** Pressing a key on the call: RFC 4733 telephone-events in the media (rtpengine passes them on). */
  dtmf(digit: string): void;
  /** Packets and bytes received/sent so far (WebRTC stats). */
  stats(): Promise<{ packetsReceived: number; packetsSent: number }>;
}

export interface SoftphoneEvents {
  state: (s: SoftphoneState, detail?: string) => void;
  incoming: (call: SoftphoneCall) => void;
  /** A call is up (media connected). */
  connected: (call: SoftphoneCall) => void;
  ended: (call: SoftphoneCall, cause: string) => void;
}

export class Softphone {
  private readonly ua: UA;
  private readonly audio: HTMLAudioElement;
  private readonly handlers: { [K in keyof SoftphoneEvents]: SoftphoneEvents[K][] } = {
    state: [],
    incoming: [],
    connected: [],
    ended: [],
  };
  state: SoftphoneState = 'connecting';
  current: SoftphoneCall | null = null;

  constructor(private readonly opts: SoftphoneOptions) {
    this.audio = opts.audio ?? document.createElement('audio');
    this.audio.autoplay = true;
    const socket = new WebSocketInterface(opts.wsUrl);
    this.ua = new UA({
      sockets: [socket],
      uri: opts.uri,
      ...(opts.password ? { password: opts.password } : {}),
      ...(opts.displayName ? { display_name: opts.displayName } : {}),
      session_timers: false,
      register: true,
    });
    this.ua.on('registered', () => this.setState('registered'));
    this.ua.on('unregistered', () => this.setState('unregistered'));
    this.ua.on('registrationFailed', (e: { cause?: string }) => this.setState('failed', e.cause));
    this.ua.on('disconnected', () => this.setState('connecting', 'websocket closed; retrying'));
    this.ua.on(
      'newRTCSession',
      (e: { originator: string; session: RTCSession; request: { getHeader(n: string): string | undefined } }) => {
        if (e.originator !== 'remote') return;
        this.incoming(e.session, e.request.getHeader('Call-Info') ?? '');
      },
    );
  }

  on<K extends keyof SoftphoneEvents>(event: K, fn: SoftphoneEvents[K]): () => void {
    (this.handlers[event] as SoftphoneEvents[K][]).push(fn);
    return () => {
      const list = this.handlers[event] as SoftphoneEvents[K][];
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  private fire<K extends keyof SoftphoneEvents>(event: K, ...args: Parameters<SoftphoneEvents[K]>): void {
    for (const fn of this.handlers[event]) (fn as (...a: Parameters<SoftphoneEvents[K]>) => void)(...args);
  }

  private setState(s: SoftphoneState, detail?: string): void {
    this.state = s;
    this.fire('state', s, detail);
  }

  start(): void {
    this.ua.start();
  }

  stop(): void {
    this.current?.hangup();
    this.ua.stop();
  }

  private incoming(session: RTCSession, callInfo: string): void {
    const attemptId = /urn:outdial:attempt:([^>;\s]+)/.exec(callInfo)?.[1] ?? null;
    if (this.current) {
      session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    const options = {
      mediaConstraints: { audio: this.opts.microphone ?? true, video: false },
      pcConfig: { iceServers: [], rtcpMuxPolicy: 'require' as const },
    };
    const call: SoftphoneCall = {
      attemptId,
      remote: session.remote_identity.uri.toString(),
      answer: () => session.answer(options),
      hangup: () => {
        if (session.isEnded()) return;
        if (session.isEstablished()) session.terminate();
        else session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      },
      hold: (on) => (on ? session.hold() : session.unhold()),
      mute: (on) => (on ? session.mute({ audio: true }) : session.unmute({ audio: true })),
      dtmf: (digit) => session.sendDTMF(digit, { transportType: C.DTMF_TRANSPORT.RFC2833 }),
      stats: async () => {
        let packetsReceived = 0;
        let packetsSent = 0;
        const pc = session.connection as unknown as RTCPeerConnection | undefined;
        if (!pc) return { packetsReceived, packetsSent };
        const report = await pc.getStats();
        report.forEach((s: { type: string; kind?: string; packetsReceived?: number; packetsSent?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio') packetsReceived += s.packetsReceived ?? 0;
          if (s.type === 'outbound-rtp' && s.kind === 'audio') packetsSent += s.packetsSent ?? 0;
        });
        return { packetsReceived, packetsSent };
      },
    };
    this.current = call;
    session.on('peerconnection', (e: { peerconnection: RTCPeerConnection }) => {
      e.peerconnection.addEventListener('track', (t: RTCTrackEvent) => {
        this.audio.srcObject = t.streams[0] ?? new MediaStream([t.track]);
      });
    });
    session.on('confirmed', () => this.fire('connected', call));
    const done = (e: { cause?: string }) => {
      if (this.current === call) this.current = null;
      this.fire('ended', call, e.cause ?? 'ended');
    };
    session.on('ended', done);
    session.on('failed', done);
    this.fire('incoming', call);
    if (this.opts.autoAnswer !== false) call.answer();
  }
}
