import type { ClientMessage, ServerMessage } from '@outdial/contracts';
import { getToken } from './client.ts';

type Outgoing = Exclude<ClientMessage, { type: 'auth' }>;
type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type Request = Without<Outgoing, 'id'>;
export type LinkStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export class LiveError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * The live connection (`/api/v1/ws`, docs/websocket.md): authenticates with the session token,
 * answers requests by id, keeps itself alive with heartbeats, and reconnects with back-off after a
 * drop, telling its listeners (`onReconnect`) so the screen resynchronises and tells the user.
 */
export class LiveConnection {
  private ws: WebSocket | null = null;
  private seq = 0;
  private pending = new Map<number, Pending>();
  private listeners = new Set<(m: ServerMessage) => void>();
  private statusListeners = new Set<(s: LinkStatus) => void>();
  private reconnectListeners = new Set<() => void>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private stopped = false;
  private everOpened = false;
  status: LinkStatus = 'connecting';

  constructor(private readonly url = defaultUrl()) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    this.ws?.close();
    this.setStatus('closed');
  }

  /** For tests and the "simulate a drop" control: closes the socket as a network drop would. */
  drop(): void {
    this.ws?.close();
  }

  on(fn: (m: ServerMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  onStatus(fn: (s: LinkStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }
  onReconnect(fn: () => void): () => void {
    this.reconnectListeners.add(fn);
    return () => this.reconnectListeners.delete(fn);
  }

  /** Sends a request and resolves with the ack's result (rejects with the server's error). */
  request<T = unknown>(msg: Request): Promise<T> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.status !== 'open')
      return Promise.reject(new LiveError('offline', 'not connected'));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ ...msg, id }));
    });
  }

  private setStatus(s: LinkStatus): void {
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }

  private open(): void {
    const token = getToken();
    if (!token) return;
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onmessage = (ev: MessageEvent<string>) => this.receive(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      clearInterval(this.heartbeat);
      for (const p of this.pending.values()) p.reject(new LiveError('offline', 'connection lost'));
      this.pending.clear();
      if (this.stopped) return;
      this.setStatus('reconnecting');
      const delay = Math.min(10_000, 500 * 2 ** this.attempts++);
      this.retry = setTimeout(() => this.open(), delay);
    };
  }

  private receive(data: string): void {
    const m = JSON.parse(data) as ServerMessage;
    if (m.type === 'hello') {
      const wasReconnect = this.everOpened;
      this.everOpened = true;
      this.attempts = 0;
      this.setStatus('open');
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(
        () => {
          if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'heartbeat' }));
        },
        Math.max(1000, m.heartbeatMs),
      );
      if (wasReconnect) for (const fn of this.reconnectListeners) fn();
    }
    if ((m.type === 'ack' || m.type === 'error') && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (p) {
        this.pending.delete(m.id);
        if (m.type === 'ack') p.resolve(m.result);
        else p.reject(new LiveError(m.code, m.message, m.details));
        return;
      }
    }
    if (m.type === 'error' && (m.code === 'session_ended' || m.code === 'replaced')) this.stopped = true;
    for (const fn of this.listeners) fn(m);
  }
}

function defaultUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/v1/ws`;
}
