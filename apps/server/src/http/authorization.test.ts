import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import * as contracts from '@outdial/contracts';
import { DEMO_CAMPAIGN, DEMO_PROJECT } from '../demo.ts';
import { harness, multipart, waitForImport, type Harness } from './testing/harness.ts';

type Role = 'admin' | 'supervisor' | 'qa' | 'agent';
const ALL: Role[] = ['admin', 'supervisor', 'qa', 'agent'];
const MANAGERS: Role[] = ['admin', 'supervisor'];
const READERS: Role[] = ['admin', 'supervisor', 'qa'];
const CALL_TAKERS: Role[] = ['admin', 'supervisor', 'agent'];
const NO_SUCH = '00000000-0000-4000-8000-0000000000aa';

interface Fixture {
  orgId: string;
  campaignId: string;
  importId: string;
  dncListId: string;
  dncPhone: string;
  contactId: string;
  userId: string;
  agentUserId: string;
}
interface Call {
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
}

/**
 * The authorization matrix, as a table: every operation of the API, the roles that may call it,
 * and a request for it. Each is sent as each role, anonymously, and as the admin of another
 * organisation: a role outside the list gets 403, nobody gets in without a session (401), and
 * another organisation's admin never reaches this organisation's resources (404).
 */
const MATRIX: Record<string, { roles: Role[]; call: (f: Fixture) => Call; otherOrg: 'not_found' | 'own_data' }> = {
  login: { roles: ALL, call: () => ({ url: '' }), otherOrg: 'own_data' },
  logout: { roles: ALL, call: () => ({ url: '/auth/logout' }), otherOrg: 'own_data' },
  getMe: { roles: ALL, call: () => ({ url: '/auth/me' }), otherOrg: 'own_data' },
  listUsers: { roles: ['admin'], call: () => ({ url: '/users' }), otherOrg: 'own_data' },
  createUser: {
    roles: ['admin'],
    call: () => ({
      url: '/users',
      payload: { username: `m${Math.random().toString(36).slice(2, 10)}`, role: 'agent', password: 'matrix-pass-731' },
    }),
    otherOrg: 'own_data',
  },
  updateUser: {
    roles: ['admin'],
    call: (f) => ({ url: `/users/${f.userId}`, payload: { displayName: 'Matrix' } }),
    otherOrg: 'not_found',
  },
  listProjects: { roles: ALL, call: () => ({ url: '/projects' }), otherOrg: 'own_data' },
  createProject: {
    roles: ['admin'],
    call: () => ({
      url: '/projects',
      payload: { code: `M${Math.random().toString(36).slice(2, 8).toUpperCase()}`, name: 'Matrix' },
    }),
    otherOrg: 'own_data',
  },
  getProject: { roles: ALL, call: () => ({ url: `/projects/${DEMO_PROJECT}` }), otherOrg: 'not_found' },
  updateProject: {
    roles: ['admin'],
    call: () => ({ url: `/projects/${DEMO_PROJECT}`, payload: { description: 'matrix' } }),
    otherOrg: 'not_found',
  },
  replaceProjectFields: {
    roles: ['admin'],
    call: () => ({ url: '/projects/NO-SUCH/fields', payload: [] }),
    otherOrg: 'not_found',
  },
  listSkillGroups: { roles: ALL, call: () => ({ url: '/skill-groups' }), otherOrg: 'own_data' },
  createSkillGroup: {
    roles: MANAGERS,
    call: () => ({
      url: '/skill-groups',
      payload: { code: `m${Math.random().toString(36).slice(2, 8)}`, name: 'Matrix' },
    }),
    otherOrg: 'own_data',
  },
  listTeams: { roles: ALL, call: () => ({ url: '/teams' }), otherOrg: 'own_data' },
  createTeam: {
    roles: MANAGERS,
    call: () => ({ url: '/teams', payload: { name: `Team ${Math.random()}` } }),
    otherOrg: 'own_data',
  },
  listAgents: { roles: MANAGERS, call: () => ({ url: '/agents' }), otherOrg: 'own_data' },
  updateAgent: {
    roles: MANAGERS,
    call: (f) => ({ url: `/agents/${f.agentUserId}`, payload: { extension: '8001' } }),
    otherOrg: 'not_found',
  },
  listContacts: { roles: ALL, call: () => ({ url: `/projects/${DEMO_PROJECT}/contacts` }), otherOrg: 'not_found' },
  getContact: { roles: ALL, call: (f) => ({ url: `/contacts/${f.contactId}` }), otherOrg: 'not_found' },
  exportContacts: {
    roles: MANAGERS,
    call: () => ({ url: `/projects/${DEMO_PROJECT}/contacts.csv` }),
    otherOrg: 'not_found',
  },
  startImport: {
    roles: MANAGERS,
    call: () => {
      const form = multipart({ name: 'm.csv', content: Buffer.from('手机号,保单号\n13512345678,PM\n') });
      return { url: `/projects/${DEMO_PROJECT}/imports`, payload: form.payload, headers: form.headers };
    },
    otherOrg: 'not_found',
  },
  listImports: { roles: MANAGERS, call: () => ({ url: `/projects/${DEMO_PROJECT}/imports` }), otherOrg: 'not_found' },
  getImport: { roles: MANAGERS, call: (f) => ({ url: `/imports/${f.importId}` }), otherOrg: 'not_found' },
  listImportRejects: {
    roles: MANAGERS,
    call: (f) => ({ url: `/imports/${f.importId}/rejects` }),
    otherOrg: 'not_found',
  },
  exportImportRejects: {
    roles: MANAGERS,
    call: (f) => ({ url: `/imports/${f.importId}/rejects.csv` }),
    otherOrg: 'not_found',
  },
  listDncLists: { roles: READERS, call: () => ({ url: '/dnc/lists' }), otherOrg: 'own_data' },
  addDncEntries: {
    roles: MANAGERS,
    call: () => ({ url: '/dnc/entries', payload: { phones: ['13600000000'], project: DEMO_PROJECT } }),
    otherOrg: 'not_found',
  },
  listDncEntries: {
    roles: READERS,
    call: (f) => ({ url: `/dnc/lists/${f.dncListId}/entries` }),
    otherOrg: 'not_found',
  },
  removeDncEntry: {
    roles: MANAGERS,
    call: (f) => ({ url: `/dnc/lists/${f.dncListId}/entries/${encodeURIComponent('+8613600009999')}` }),
    otherOrg: 'not_found',
  },
  checkDnc: {
    roles: READERS,
    call: () => ({ url: `/dnc/check?phone=13600000000&project=${DEMO_PROJECT}` }),
    otherOrg: 'not_found',
  },
  assignTasks: {
    roles: MANAGERS,
    call: () => ({ url: `/projects/${DEMO_PROJECT}/tasks/assign`, payload: { strategy: 'even', limit: 1 } }),
    otherOrg: 'not_found',
  },
  listTasks: { roles: ALL, call: () => ({ url: '/tasks?mine=true' }), otherOrg: 'own_data' },
  createCampaign: {
    roles: MANAGERS,
    call: () => ({ url: '/campaigns', payload: { project: DEMO_PROJECT, name: `Matrix ${Math.random()}` } }),
    otherOrg: 'not_found',
  },
  listCampaigns: { roles: READERS, call: () => ({ url: '/campaigns' }), otherOrg: 'own_data' },
  getCampaign: { roles: READERS, call: (f) => ({ url: `/campaigns/${f.campaignId}` }), otherOrg: 'not_found' },
  getCampaignStats: {
    roles: READERS,
    call: (f) => ({ url: `/campaigns/${f.campaignId}/stats` }),
    otherOrg: 'not_found',
  },
  updateCampaign: {
    roles: MANAGERS,
    call: (f) => ({ url: `/campaigns/${f.campaignId}`, payload: { maxCallsPerSecond: 10 } }),
    otherOrg: 'not_found',
  },
  actOnCampaign: { roles: MANAGERS, call: (f) => ({ url: `/campaigns/${f.campaignId}/pause` }), otherOrg: 'not_found' },
  listAudit: { roles: ['admin'], call: () => ({ url: '/audit' }), otherOrg: 'own_data' },
  getAttempt: {
    roles: CALL_TAKERS,
    call: () => ({ url: '/attempts/00000000-0000-4000-8000-000000000001' }),
    otherOrg: 'not_found',
  },
  recordDisposition: {
    roles: CALL_TAKERS,
    call: () => ({ url: '/attempts/00000000-0000-4000-8000-000000000001/disposition', payload: { code: 'success' } }),
    otherOrg: 'not_found',
  },
  listDialerAgents: { roles: READERS, call: () => ({ url: '/dialer/agents' }), otherOrg: 'own_data' },
  listTrunks: { roles: MANAGERS, call: () => ({ url: '/trunks' }), otherOrg: 'own_data' },
  createTrunk: {
    roles: ['admin'],
    call: () => ({
      url: '/trunks',
      payload: {
        name: `m${Math.random().toString(36).slice(2, 10)}`,
        uri: 'sip:127.0.0.1:5090',
        transport: 'udp',
        maxChannels: 2,
        callsPerSecond: 1,
      },
    }),
    otherOrg: 'own_data',
  },
  getTrunk: { roles: MANAGERS, call: () => ({ url: `/trunks/${NO_SUCH}` }), otherOrg: 'not_found' },
  updateTrunk: {
    roles: ['admin'],
    call: () => ({ url: `/trunks/${NO_SUCH}`, payload: { maxChannels: 3 } }),
    otherOrg: 'not_found',
  },
  deleteTrunk: { roles: ['admin'], call: () => ({ url: `/trunks/${NO_SUCH}` }), otherOrg: 'not_found' },
  getRecording: { roles: READERS, call: () => ({ url: `/attempts/${NO_SUCH}/recording` }), otherOrg: 'not_found' },
  playRecording: { roles: READERS, call: () => ({ url: `/attempts/${NO_SUCH}/recording.wav` }), otherOrg: 'not_found' },
  callerIdHealth: { roles: MANAGERS, call: () => ({ url: '/caller-ids/health?days=7' }), otherOrg: 'own_data' },
};

/** Every operation the contracts declare, by operationId. */
function declaredOperations(): Map<string, contracts.Operation> {
  const out = new Map<string, contracts.Operation>();
  for (const mod of Object.values(contracts))
    if (typeof mod === 'object' && mod !== null)
      for (const v of Object.values(mod as Record<string, unknown>)) {
        const op = v as Partial<contracts.Operation>;
        if (op && typeof op === 'object' && typeof op.url === 'string' && op.schema && typeof op.method === 'string')
          out.set(op.schema.operationId, op as contracts.Operation);
      }
  return out;
}

describe('the authorization matrix covers every operation', () => {
  it('has a row for each operation the contracts declare, and none for an operation that is not', () => {
    expect([...declaredOperations().keys()].sort()).toEqual(Object.keys(MATRIX).sort());
  });
});

describe.each(testDatabases())('authorization: route × role × organisation on $name', (engine) => {
  let h: Harness;
  let f: Fixture;
  const tokens = new Map<Role | 'other', string>();
  const ops = declaredOperations();

  const send = async (op: contracts.Operation, call: Call, token: string | undefined) => {
    const res = await h.app.inject({
      method: op.method,
      url: `/api/v1${call.url}`,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(call.headers ?? {}) },
      ...(call.payload === undefined ? {} : { payload: call.payload as object }),
    });
    return res;
  };
  /** A fresh session per request: logout and role changes must not leak into the next row. */
  const fresh = async (who: Role | 'other') =>
    who === 'other' ? h.login('matrix-other', 'other-org-pass-88') : h.login(who === 'agent' ? 'agent01' : who);

  beforeAll(async () => {
    h = await harness(engine);
    const admin = await h.login('admin');
    tokens.set('admin', admin);
    const get = async (url: string) =>
      (await h.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${admin}` } })).json<
        Record<string, unknown>
      >();
    const campaigns = (await get('/campaigns')).items as { id: string; name: string }[];
    const form = multipart({ name: 'fixture.csv', content: Buffer.from('手机号,保单号\n13512340000,P0\nbad,P1\n') });
    const up = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { authorization: `Bearer ${admin}`, ...form.headers },
      payload: form.payload,
    });
    const imp = await waitForImport(h, admin, up.json<{ id: string }>().id);
    const lists = (await get('/dnc/lists')) as unknown as { id: string }[];
    const agent = await h.login('agent01');
    const own = (
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/projects/${DEMO_PROJECT}/contacts?pageSize=1`,
        headers: { authorization: `Bearer ${agent}` },
      })
    ).json<{ items: { id: string }[] }>();
    const users = (await get('/users?role=agent&pageSize=100')).items as { id: string; username: string }[];
    const otherOrg = await h.platform.repos.users.createOrganisation('Matrix Other');
    await h.platform.services.users.create(null, otherOrg, {
      username: 'matrix-other',
      role: 'admin',
      password: 'other-org-pass-88',
    });
    f = {
      orgId: '',
      campaignId: campaigns.find((c) => c.name === DEMO_CAMPAIGN)!.id,
      importId: imp.id,
      dncListId: lists[0]!.id,
      dncPhone: '',
      contactId: own.items[0]!.id,
      userId: users.find((u) => u.username === 'agent20')!.id,
      agentUserId: users.find((u) => u.username === 'agent19')!.id,
    };
  }, 180_000);
  afterAll(async () => h?.close());

  it.each(Object.keys(MATRIX))('%s', async (operationId) => {
    const row = MATRIX[operationId]!;
    const op = ops.get(operationId)!;
    if (operationId === 'login') return; // public by design; covered by the login tests
    const problems: string[] = [];
    for (const role of ALL) {
      const res = await send(op, row.call(f), await fresh(role));
      const allowed = row.roles.includes(role);
      if (res.statusCode >= 500) problems.push(`${role}: ${res.statusCode} ${res.body}`);
      else if (allowed && (res.statusCode === 401 || res.statusCode === 403))
        problems.push(`${role} may, but got ${res.statusCode} ${res.body}`);
      else if (!allowed && res.statusCode !== 403) problems.push(`${role} may not, but got ${res.statusCode}`);
    }
    const anon = await send(op, row.call(f), undefined);
    if (anon.statusCode !== 401) problems.push(`anonymous got ${anon.statusCode}`);
    const other = await send(op, row.call(f), await fresh('other'));
    if (row.otherOrg === 'not_found' && other.statusCode !== 404)
      problems.push(`another organisation's admin got ${other.statusCode} ${other.body.slice(0, 200)}`);
    if (row.otherOrg === 'own_data' && (other.statusCode >= 400 || other.body.includes(f.campaignId)))
      problems.push(`another organisation's admin got ${other.statusCode} (or saw this organisation's data)`);
    expect(problems).toEqual([]);
  });
});
