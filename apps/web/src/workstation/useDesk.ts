import { useCallback, useEffect, useRef, useState } from 'react';
import {
  calls,
  contacts,
  projects,
  questionnaires,
  type AgentStateView,
  type CallControls,
  type ServerMessage,
  type TransferTarget,
} from '@outdial/contracts';
import type { Static } from 'typebox';
import { call as api } from '../api/client.ts';
import { LiveConnection, type LinkStatus } from '../api/live.ts';

export type Contact = Static<typeof contacts.Contact>;
export type ScriptState = questionnaires.ScriptState;
export type Answers = Record<string, string | number | string[] | null>;
export interface DispositionOption {
  code: string;
  labelZh: string;
  labelEn: string;
  callback?: 'agent' | 'anyone' | null;
  success?: boolean;
}
export interface KnowledgePrompt {
  title: { zh?: string; en?: string };
  body: { zh?: string; en?: string };
  keywords: string[];
}

export interface CurrentCall {
  attemptId: string;
  campaignId: string | null;
  contact: Contact | null;
  dispositions: DispositionOption[];
  script: ScriptState | null;
  startedAt: number;
  waitMs: number | null;
  /** Set when the line is released (the agent is wrapping up). */
  endedOutcome: string | null;
  /** On hold since (browser time, epoch ms); null: not on hold. */
  heldSince: number | null;
  /** Set when the call went over to another agent (this agent wraps up their part). */
  transferredTo: TransferTarget | null;
}
export interface Preview {
  previewId: string;
  campaignId: string;
  timeoutS: number;
  contact: Contact | null;
  receivedAt: number;
}
export type Notice = { kind: 'reconnected'; paused: boolean } | { kind: 'replaced' } | { kind: 'ended' };

const SIGNED_IN = 'outdial.desk.signedIn';

/**
 * The agent's desk over the live connection: state, the call and its screen pop, the preview,
 * knowledge prompts. After a drop it reconnects, signs back in (the server keeps the agent for
 * 60 s), resynchronises the call in progress from the REST API and raises a notice.
 */
export function useDesk() {
  const conn = useRef<LiveConnection | null>(null);
  const [link, setLink] = useState<LinkStatus>('connecting');
  const [state, setState] = useState<AgentStateView | null>(null);
  const [current, setCurrent] = useState<CurrentCall | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [knowledge, setKnowledge] = useState<KnowledgePrompt[]>([]);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [controls, setControls] = useState<CallControls>({ hold: false, transfer: false });
  const currentRef = useRef<CurrentCall | null>(null);
  currentRef.current = current;

  /** Rebuilds the call panel from the REST API (after a reload or a reconnect). */
  const resync = useCallback(async (s: AgentStateView) => {
    setState(s);
    if (!s.callId) {
      if (s.status !== 'wrap_up') setCurrent(null);
      return;
    }
    if (currentRef.current?.attemptId === s.callId) return;
    const attempt = await api(calls.getAttempt, { params: { id: s.callId } });
    const [contact, script, list] = await Promise.all([
      api(contacts.getContact, { params: { id: attempt.contactId } }).catch(() => null),
      api(questionnaires.getCallScript, { params: { id: s.callId } }).catch(() => null),
      api(projects.listProjects, { query: { pageSize: 200 } }).catch(() => null),
    ]);
    const project = list?.items.find((p) => p.id === contact?.projectId);
    const full = project ? await api(projects.getProject, { params: { code: project.code } }).catch(() => null) : null;
    setCurrent({
      attemptId: s.callId,
      campaignId: attempt.campaignId,
      contact,
      dispositions: full?.dispositions ?? [],
      script,
      startedAt: attempt.connectedAt ? new Date(attempt.connectedAt).getTime() : s.since,
      waitMs: null,
      endedOutcome: attempt.endedAt ? (attempt.outcome ?? 'completed') : null,
      heldSince: null,
      transferredTo: null,
    });
  }, []);

  useEffect(() => {
    const c = new LiveConnection();
    conn.current = c;
    const signIn = async () => {
      const s = await c.request<AgentStateView>({ type: 'login' });
      localStorage.setItem(SIGNED_IN, '1');
      await resync(s);
      return s;
    };
    const offStatus = c.onStatus(setLink);
    const off = c.on((m: ServerMessage) => {
      switch (m.type) {
        case 'hello':
          setControls(m.callControls);
          // Fresh page: back to the dialer if this browser was signed in (within the server's grace period).
          if (localStorage.getItem(SIGNED_IN) === '1' && c.status === 'open') void signIn().catch(() => undefined);
          break;
        case 'state':
          setState(m.state);
          if (m.state.status === 'ready' || m.state.status === 'paused') setPreview(null);
          if ((m.state.status === 'ready' || m.state.status === 'paused') && !m.state.callId) setCurrent(null);
          break;
        case 'call':
          setPreview(null);
          setKnowledge([]);
          setCurrent({
            attemptId: m.attemptId,
            campaignId: m.campaignId,
            contact: m.contact,
            dispositions: m.dispositions,
            script: m.script,
            startedAt: Date.now(),
            waitMs: m.waitMs,
            endedOutcome: null,
            heldSince: null,
            transferredTo: null,
          });
          break;
        case 'call_ended':
          setCurrent((cur) =>
            cur && cur.attemptId === m.attemptId ? { ...cur, endedOutcome: m.outcome, heldSince: null } : cur,
          );
          break;
        case 'hold':
          setCurrent((cur) =>
            cur && cur.attemptId === m.attemptId
              ? { ...cur, heldSince: m.on ? (cur.heldSince ?? Date.now()) : null }
              : cur,
          );
          break;
        case 'transferred':
          setCurrent((cur) =>
            cur && cur.attemptId === m.attemptId ? { ...cur, transferredTo: m.to, heldSince: null } : cur,
          );
          break;
        case 'preview':
          setPreview({
            previewId: m.previewId,
            campaignId: m.campaignId,
            timeoutS: m.timeoutS,
            contact: m.contact,
            receivedAt: Date.now(),
          });
          break;
        case 'knowledge':
          setKnowledge((k) => [...m.prompts, ...k.filter((p) => !m.prompts.some((q) => q.title.en === p.title.en))]);
          break;
        case 'error':
          if (m.code === 'replaced') setNotice({ kind: 'replaced' });
          if (m.code === 'session_ended') setNotice({ kind: 'ended' });
          break;
        default:
          break;
      }
    });
    const offReconnect = c.onReconnect(() => {
      if (localStorage.getItem(SIGNED_IN) !== '1') return;
      void signIn()
        .then((s) => setNotice({ kind: 'reconnected', paused: s.status === 'paused' }))
        .catch(() => undefined);
    });
    c.start();
    // A dropped network, on demand (the e2e test and support use it to check the recovery).
    const drop = () => c.drop();
    window.addEventListener('outdial:drop', drop);
    return () => {
      window.removeEventListener('outdial:drop', drop);
      off();
      offStatus();
      offReconnect();
      c.stop();
    };
  }, [resync]);

  const request = useCallback(<T = unknown>(m: Parameters<LiveConnection['request']>[0]) => {
    if (!conn.current) return Promise.reject(new Error('not connected'));
    return conn.current.request<T>(m);
  }, []);

  const signIn = useCallback(async () => {
    const s = await request<AgentStateView>({ type: 'login' });
    localStorage.setItem(SIGNED_IN, '1');
    await resync(s);
  }, [request, resync]);
  const signOut = useCallback(async () => {
    await request({ type: 'logout' });
    localStorage.removeItem(SIGNED_IN);
    setState((s) => (s ? { ...s, status: 'logged_out', since: Date.now() } : s));
  }, [request]);

  const saveAnswers = useCallback(
    async (answers: Answers) => {
      const next = await request<ScriptState>({ type: 'answers', answers });
      setCurrent((cur) => (cur ? { ...cur, script: next } : cur));
      return next;
    },
    [request],
  );

  return {
    link,
    state,
    current,
    preview,
    knowledge,
    notice,
    controls,
    clearNotice: () => setNotice(null),
    clearCall: () => setCurrent(null),
    signIn,
    signOut,
    request,
    saveAnswers,
    drop: () => conn.current?.drop(),
  };
}
