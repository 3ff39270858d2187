import type { CampaignSettings, CampaignStatus, FinishReason } from '@outdial/domain/campaigns';
import type { DispositionCode, FieldDef, ProjectRules } from '@outdial/domain/projects';
import type {
  AnswerValue,
  BankQuestion,
  LocalText,
  QuestionnaireDoc,
  QuestionnaireInput,
} from '@outdial/domain/questionnaires';

/**
 * The records the engine reads and writes through its store ports (rows as use cases see
 * them). Declared here, in the engine, so the dependency points inward: the database adapter
 * (packages/db) implements the ports and imports these types, never the other way round.
 */

// ---- from packages/db/src/repositories/attempts.ts
export type AttemptOutcomeDb = 'person' | 'machine' | 'no_answer' | 'busy' | 'failed' | 'abandoned' | 'cancelled';

export type DialModeDb = 'preview' | 'progressive' | 'power' | 'predictive' | 'manual' | 'ivr';

export interface OpenAttempt {
  /** The dialer process placing it (see nodeAlive). */
  nodeId?: string | null;
  orgId: string;
  projectId: string;
  campaignId: string | null;
  contactId: string;
  phone: string;
  callerId: string | null;
  dialMode: DialModeDb;
  placedAt: Date;
}

export interface AttemptEnd {
  outcome: AttemptOutcomeDb;
  endedAt: Date;
  answeredAt: Date | null;
  connectedAt: Date | null;
  agentUserId: string | null;
  hangupSide: 'customer' | 'agent' | 'system' | null;
  sipCause: number | null;
  amdResult: 'human' | 'machine' | 'unknown' | null;
  abandoned: boolean;
}

/** The contact's next step, as the domain's `nextStep` decided it. */
export type ContactNext =
  | { kind: 'closed'; reason: string }
  /** `owner`: the agent the callback belongs to (only they are offered it); absent or null: anyone. */
  | { kind: 'callback'; at: Date; owner?: string | null | undefined }
  | { kind: 'retry'; at: Date };

export interface CampaignFigures {
  dials: number;
  answeredPerson: number;
  answeredMachine: number;
  connects: number;
  abandons: number;
  /** Attempts not yet ended. */
  live: number;
}

export interface AttemptRow {
  id: string;
  orgId: string;
  projectId: string;
  campaignId: string | null;
  contactId: string;
  phone: string;
  dialMode: DialModeDb;
  agentUserId: string | null;
  nodeId: string | null;
  placedAt: Date;
  answeredAt: Date | null;
  connectedAt: Date | null;
  endedAt: Date | null;
  outcome: AttemptOutcomeDb | null;
  hangupSide: string | null;
  sipCause: number | null;
  amdResult: string | null;
  abandoned: boolean;
}

// ---- from packages/db/src/repositories/audit.ts
export interface AuditEntry {
  orgId: string | null;
  actorUserId: string | null;
  action: string;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  details?: Record<string, unknown> | undefined;
  ip?: string | undefined;
}

export interface AuditRow {
  id: number;
  actorUserId: string | null;
  actorUsername: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  createdAt: Date;
}

// ---- from packages/db/src/repositories/campaigns.ts
export interface CampaignRow {
  id: string;
  orgId: string;
  projectId: string;
  name: string;
  status: CampaignStatus;
  settings: CampaignSettings;
  finishReason: FinishReason | null;
  /** Why the system put the campaign in this state (e.g. the circuit breaker's finding); null after a person's action. */
  statusReason: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A contact handed to a dialer loop, with what the compliance gate needs to judge it. */
export interface LeasedContact {
  id: string;
  phone: string;
  phones: string[];
  name: string | null;
  timezone: string | null;
  region: string | null;
  status: 'new' | 'in_progress' | 'callback';
  attempts: number;
  callbackAt: Date | null;
  nextAttemptAt: Date | null;
  priority: number;
  /** The list (import) it came from; null for contacts added by API. */
  importId: string | null;
  custom: Record<string, unknown>;
}

// ---- from packages/db/src/repositories/contacts.ts
export type ContactStatus = 'new' | 'in_progress' | 'callback' | 'closed';

export interface ContactRow {
  id: string;
  projectId: string;
  importId: string | null;
  externalId: string | null;
  name: string | null;
  phone: string;
  phones: string[];
  timezone: string | null;
  region: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  status: ContactStatus;
  closeReason: string | null;
  attempts: number;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  callbackAt: Date | null;
  /** The agent a callback belongs to (null: anyone). */
  callbackOwner: string | null;
  priority: number;
  createdAt: Date;
}

export interface ContactQuery {
  projectId?: string | undefined;
  status?: ContactStatus | undefined;
  tag?: string | undefined;
  importId?: string | undefined;
  /** Name substring (case-insensitive). */
  name?: string | undefined;
  /** Digits anywhere in the primary number (for readers who may see full numbers). */
  phoneContains?: string | undefined;
  /** One complete E.164 number: the primary or any secondary number. */
  phone?: string | undefined;
  /** The business system's own id for the contact. */
  externalId?: string | undefined;
  /** Restricts to contacts with a task assigned to this agent (what an agent may see). */
  assigneeUserId?: string | undefined;
  limit: number;
  offset: number;
}

// ---- from packages/db/src/repositories/dispositions.ts
export interface DispositionRow {
  id: string;
  orgId: string;
  projectId: string;
  contactId: string;
  attemptId: string | null;
  agentUserId: string | null;
  code: string;
  notes: string;
  answers: Record<string, unknown>;
  callbackAt: Date | null;
  createdAt: Date;
}

export interface NewDisposition extends Omit<DispositionRow, 'id' | 'attemptId'> {
  attemptId: string;
  /** When the attempt was placed: the contact's next step is only applied if no later attempt exists. */
  attemptPlacedAt: Date;
}

// ---- from packages/db/src/repositories/dnc.ts
export interface DncListRow {
  id: string;
  projectId: string | null;
  name: string;
  entries: number;
  createdAt: Date;
}

export interface DncEntryRow {
  phone: string;
  reason: string;
  source: string;
  expiresAt: Date | null;
  createdAt: Date;
}

export interface DncHit {
  listId: string;
  listName: string;
  projectId: string | null;
  reason: string;
  expiresAt: Date | null;
}

// ---- from packages/db/src/repositories/imports.ts
export type ImportStatus = 'parsing' | 'merging' | 'completed' | 'failed';

/** `accepted` rows become contacts when the import completes; the others say why not. */
export type StagedOutcome = 'accepted' | 'duplicate_in_file' | 'invalid';

export type RowOutcome = StagedOutcome | 'duplicate_existing' | 'dnc';

export interface ImportCounts {
  imported: number;
  duplicateInFile: number;
  duplicateExisting: number;
  dnc: number;
  invalid: number;
}

export interface ImportRow extends ImportCounts {
  id: string;
  projectId: string;
  filename: string;
  format: string | null;
  encoding: string | null;
  status: ImportStatus;
  error: { code: string; message: string; details?: unknown } | null;
  mapping: Record<string, string> | null;
  columns: string[] | null;
  totalBytes: number | null;
  bytesRead: number;
  rowsRead: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface StagedRow {
  rowNumber: number;
  outcome: RowOutcome;
  code: string | null;
  message: string | null;
  phone: string | null;
  phones: string[] | null;
  name: string | null;
  timezone: string | null;
  region: string | null;
  tags: string[] | null;
  externalId: string | null;
  custom: Record<string, unknown> | null;
  raw: Record<string, string> | null;
}

export interface RejectRow {
  rowNumber: number;
  outcome: Exclude<RowOutcome, 'accepted'>;
  code: string | null;
  message: string | null;
  phone: string | null;
  name: string | null;
  raw: Record<string, string> | null;
  custom: Record<string, unknown> | null;
  phones: string[] | null;
  tags: string[] | null;
  externalId: string | null;
  timezone: string | null;
  region: string | null;
}

/**
 * Receives an import's rows batch by batch and makes them contacts atomically: nothing is
 * visible to anyone until `finish` commits, and a crash or `abort` leaves no contact behind.
 */
export interface ImportWriter {
  /** Resolves when the batch is durably handled (staged, or merged inside the open transaction). */
  write(rows: readonly StagedRow[]): Promise<void>;
  /** Sets the remaining rows aside (already in the project, do-not-call), creates the contacts, commits. */
  finish(now: Date): Promise<ImportRow>;
  /** Rolls back everything written so far. */
  abort(reason: Error): Promise<void>;
}

// ---- from packages/db/src/repositories/org.ts
export interface SkillGroupRow {
  id: string;
  code: string;
  name: string;
}

export interface TeamRow {
  id: string;
  name: string;
}

export interface AgentRow {
  userId: string;
  username: string;
  displayName: string;
  teamId: string | null;
  teamName: string | null;
  extension: string | null;
  skills: { code: string; level: number }[];
}

// ---- from packages/db/src/repositories/projects.ts
export interface ProjectRow {
  id: string;
  orgId: string;
  code: string;
  name: string;
  description: string;
  defaultRegion: string;
  defaultTimezone: string;
  rules: ProjectRules;
  callerIds: string[];
  status: 'active' | 'archived';
  createdAt: Date;
  updatedAt: Date;
}

export interface Project extends ProjectRow {
  fields: FieldDef[];
  dispositions: DispositionCode[];
}

/** What a project is created with (the rest is set by the database). */
export type ProjectInput = Pick<
  ProjectRow,
  'code' | 'name' | 'description' | 'defaultRegion' | 'defaultTimezone' | 'rules' | 'callerIds'
>;

// ---- from packages/db/src/repositories/sessions.ts
export interface SessionPrincipal {
  sessionId: string;
  userId: string;
  orgId: string;
  username: string;
  displayName: string;
  role: Role;
  expiresAt: Date;
}

// ---- from packages/db/src/repositories/tasks.ts
export type Channel = 'agent_call' | 'ivr_call' | 'sms';

export interface TaskRow {
  id: string;
  projectId: string;
  contactId: string;
  channel: Channel;
  assigneeUserId: string | null;
  skillGroupId: string | null;
  status: 'open' | 'done' | 'cancelled';
  priority: number;
  dueAt: Date | null;
  createdAt: Date;
}

// ---- from packages/db/src/repositories/users.ts
export type Role = 'admin' | 'supervisor' | 'qa' | 'agent';

export interface UserRow {
  id: string;
  orgId: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
}

export interface UserWithHash extends UserRow {
  passwordHash: string;
}

// ---- from packages/db/src/repositories/questionnaires.ts
/** A question of the organisation's bank (题库). */
export interface BankRow {
  code: string;
  category: string;
  question: Omit<BankQuestion, 'code'>;
  createdAt: Date;
  updatedAt: Date;
}

export interface QuestionnaireRow {
  id: string;
  orgId: string;
  projectId: string;
  code: string;
  title: LocalText;
  /** As last imported: has the format's shape, not necessarily publishable. */
  draft: QuestionnaireInput;
  /** The questionnaire the project's calls use. */
  active: boolean;
  /** The newest published version, if any. */
  latestVersion: number | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface QuestionnaireVersionRow {
  id: string;
  questionnaireId: string;
  version: number;
  /** Complete (bank questions filled in) and valid when it was published. */
  document: QuestionnaireDoc;
  publishedBy: string | null;
  publishedAt: Date;
}

/** The answers of one call, pinned to the questionnaire version it used. */
export interface CallAnswersRow {
  attemptId: string;
  orgId: string;
  versionId: string;
  answers: Record<string, AnswerValue>;
  complete: boolean;
  updatedBy: string | null;
  updatedAt: Date;
}

/** A knowledge prompt (知识提示): when a keyword appears in the notes or the transcript, show this. */
export interface KnowledgeRule {
  keywords: string[];
  title: LocalText;
  body: LocalText;
}

// ---- from packages/db/src/repositories/orders.ts
/** A product of a project's catalogue (sales projects). */
export interface ProductRow {
  id: string;
  projectId: string;
  sku: string;
  name: string;
  /** Whole minor units (分/cents). */
  priceCents: number;
  currency: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderLineRow {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
}

export interface OrderRow {
  id: string;
  orgId: string;
  projectId: string;
  contactId: string;
  attemptId: string;
  agentUserId: string | null;
  amountCents: number;
  currency: string;
  createdAt: Date;
  lines: OrderLineRow[];
}

// ---- from packages/db/src/repositories/webhooks.ts
/** A subscription of a business system to events (its secret is never read back). */
export interface WebhookRow {
  id: string;
  orgId: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type WebhookMessageStatus = 'pending' | 'delivered' | 'dead';

/** One event for one webhook: its id is the webhook-id header, the same on every try. */
export interface WebhookMessageRow {
  id: string;
  webhookId: string;
  eventType: string;
  status: WebhookMessageStatus;
  attempts: number;
  failures: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** One try in the delivery log. */
export interface WebhookAttemptRow {
  n: number;
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  response: string | null;
}

/** A message leased by a deliverer, with what sending it needs. */
export interface LeasedWebhookMessage {
  id: string;
  webhookId: string;
  url: string;
  secret: string;
  body: string;
  attempts: number;
  failures: number;
}

/** An event to write to the outbox: one message for each subscribed webhook of the organisation. */
export interface OutboxEvent {
  orgId: string;
  type: string;
  /** The JSON body as sent and signed. */
  body: string;
  at: Date;
}
