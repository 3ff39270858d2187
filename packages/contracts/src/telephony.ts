import { Type } from 'typebox';
import { DateTime, IdParams, Nullable, Uuid, strict } from './common.ts';
import { operation } from './operation.ts';

/** A SIP trunk of the organisation; the password is write-only. */
export const Trunk = Type.Object({
  id: Uuid,
  name: Type.String(),
  uri: Type.String({ description: 'sip:host:port' }),
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')]),
  username: Nullable(Type.String()),
  hasPassword: Type.Boolean(),
  maxChannels: Type.Integer(),
  callsPerSecond: Type.Number(),
  createdAt: DateTime,
  updatedAt: DateTime,
});

const trunkFields = {
  name: Type.String({ minLength: 1, maxLength: 64, description: 'what campaigns name in their "trunk" setting' }),
  uri: Type.String({ minLength: 5, maxLength: 255, description: "the carrier's SIP address, sip:host:port" }),
  transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')]),
  username: Type.Optional(Nullable(Type.String({ maxLength: 128, description: 'digest authentication' }))),
  password: Type.Optional(Nullable(Type.String({ maxLength: 256, description: 'write-only' }))),
  maxChannels: Type.Integer({ description: 'calls in progress at once, 1–100000' }),
  callsPerSecond: Type.Number({ description: 'new calls per second, > 0' }),
};

export const CreateTrunkBody = Type.Object(trunkFields, strict);
export const UpdateTrunkBody = Type.Partial(Type.Object(trunkFields, strict), strict);

export const listTrunks = operation(
  'GET',
  '/trunks',
  {
    operationId: 'listTrunks',
    tags: ['telephony'],
    summary: "The organisation's SIP trunks",
    response: { 200: Type.Array(Trunk) },
  },
  [403],
);

export const createTrunk = operation(
  'POST',
  '/trunks',
  {
    operationId: 'createTrunk',
    tags: ['telephony'],
    summary: 'Add a SIP trunk (the SIP carrier takes it within seconds); audited',
    body: CreateTrunkBody,
    response: { 201: Trunk },
  },
  [403, 409],
);

export const getTrunk = operation(
  'GET',
  '/trunks/:id',
  { operationId: 'getTrunk', tags: ['telephony'], summary: 'One trunk', params: IdParams, response: { 200: Trunk } },
  [403, 404],
);

export const updateTrunk = operation(
  'PATCH',
  '/trunks/:id',
  {
    operationId: 'updateTrunk',
    tags: ['telephony'],
    summary: 'Change a trunk (limits, address, credentials); audited',
    params: IdParams,
    body: UpdateTrunkBody,
    response: { 200: Trunk },
  },
  [403, 404, 409],
);

export const deleteTrunk = operation(
  'DELETE',
  '/trunks/:id',
  {
    operationId: 'deleteTrunk',
    tags: ['telephony'],
    summary: 'Remove a trunk; audited',
    params: IdParams,
    response: { 204: Type.Null() },
  },
  [403, 404],
);

export const Recording = Type.Object({
  attemptId: Uuid,
  durationMs: Type.Integer(),
  agentUserId: Nullable(Uuid),
  createdAt: DateTime,
  expiresAt: DateTime,
  url: Type.String({ description: 'GET it to play (inline) or add ?download=1 to download; each access audited' }),
});

export const getRecording = operation(
  'GET',
  '/attempts/:id/recording',
  {
    operationId: 'getRecording',
    tags: ['telephony'],
    summary: "A call's recording: customer on the left channel, agent on the right",
    params: IdParams,
    response: { 200: Recording },
  },
  [403, 404],
);

export const playRecording = operation(
  'GET',
  '/attempts/:id/recording.wav',
  {
    operationId: 'playRecording',
    tags: ['telephony'],
    summary: 'The recording as WAV (8 kHz, stereo); ?download=1 to save it; audited',
    params: IdParams,
    querystring: Type.Object({ download: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])) }, strict),
    produces: ['audio/wav'],
    response: { 200: Type.String({ description: 'audio/wav' }) },
  },
  [403, 404],
);

export const CallerIdHealth = Type.Object({
  callerId: Type.String(),
  dials: Type.Integer(),
  answered: Type.Integer(),
  person: Type.Integer(),
  abandoned: Type.Integer(),
  complaints: Type.Integer({
    description: 'numbers called from it put on a do-not-call list afterwards (IVR key, disposition)',
  }),
  answerRate: Type.Number(),
  abandonRate: Type.Number(),
  complaintsPerThousand: Type.Number(),
  lastUsedAt: DateTime,
});

export const callerIdHealth = operation(
  'GET',
  '/caller-ids/health',
  {
    operationId: 'callerIdHealth',
    tags: ['telephony'],
    summary: 'Each caller ID: dials, answer rate, abandons, complaints over the last days',
    querystring: Type.Object(
      {
        project: Type.Optional(Type.String({ maxLength: 40 })),
        days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 7 })),
      },
      strict,
    ),
    response: { 200: Type.Array(CallerIdHealth) },
  },
  [403, 404],
);

/**
 * How the signed-in agent is reached for calls: the workstation shows a browser phone only for `browser`.
 * `simulated`: the simulated carrier plays the calls (demo); `desk`: a desk phone or softphone app registered at
 * the agents' registrar (or a fixed SIP URI); `browser`: register `uri` over the agents' Kamailio WebSocket `wsUrl`.
 */
export const AgentPhone = Type.Object({
  kind: Type.Union([Type.Literal('simulated'), Type.Literal('desk'), Type.Literal('browser')]),
  uri: Nullable(Type.String({ description: "the agent's SIP address (desk and browser phones)" })),
  wsUrl: Nullable(Type.String({ description: "browser: the agents' Kamailio WebSocket, ws:// or wss://" })),
  autoAnswer: Type.Boolean({
    description: 'browser: answer bridged calls at once (else ring until the agent answers)',
  }),
});

export const myPhone = operation(
  'GET',
  '/me/phone',
  {
    operationId: 'myPhone',
    tags: ['telephony'],
    summary: "Your own phone: simulated, a desk phone, or the workstation's browser softphone and where it registers",
    response: { 200: AgentPhone },
  },
  [403],
);
