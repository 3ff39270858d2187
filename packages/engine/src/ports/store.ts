import type { CampaignSettings, CampaignStatus, FinishReason } from '@outdial/domain/campaigns';
import type { DispositionCode, FieldDef } from '@outdial/domain/projects';
import type { AnswerValue, LocalText, QuestionnaireDoc, QuestionnaireInput } from '@outdial/domain/questionnaires';
import type {
  AgentRow,
  AttemptEnd,
  AttemptOutcomeDb,
  AttemptRow,
  AuditEntry,
  AuditRow,
  BankRow,
  CallAnswersRow,
  CampaignFigures,
  CampaignRow,
  Channel,
  ContactNext,
  ContactQuery,
  ContactRow,
  ContactStatus,
  DispositionRow,
  DncEntryRow,
  DncHit,
  DncListRow,
  ImportCounts,
  ImportRow,
  ImportWriter,
  KnowledgeRule,
  LeasedContact,
  NewDisposition,
  OrderRow,
  OutboxEvent,
  LeasedWebhookMessage,
  ProductRow,
  WebhookAttemptRow,
  WebhookMessageRow,
  WebhookMessageStatus,
  WebhookRow,
  OpenAttempt,
  Project,
  ProjectInput,
  ProjectRow,
  QuestionnaireRow,
  QuestionnaireVersionRow,
  RejectRow,
  Role,
  RowOutcome,
  SessionPrincipal,
  SkillGroupRow,
  StagedRow,
  TaskRow,
  TeamRow,
  UserRow,
  UserWithHash,
} from './records.ts';

/**
 * The engine's store ports: what the use cases and the dialer may ask of storage, one interface
 * per aggregate. packages/db implements them over SQL (PGlite or PostgreSQL); tests may implement
 * them in memory. The engine imports nothing from packages/db.
 */

/**
 * Call attempts: one row written *before* the dial, closed exactly once with its outcome and,
 * in the same transaction, the contact's next step. An attempt left open by a crash is found
 * by `openBefore` and closed by the recovery, so none stays open forever.
 */
export interface AttemptsStore {
  /**
   * Records many placed attempts in one transaction (the dialer's group commit): one INSERT from
   * arrays, one UPDATE of the contacts. Ids are made here, time-ordered, so they come back in order.
   */
  openMany(rows: readonly OpenAttempt[]): Promise<string[]>;
  /** Marks answers and connections on many live attempts at once (one id at most once per call). */
  progressMany(
    items: readonly {
      id: string;
      answeredAt?: Date | undefined;
      connectedAt?: Date | undefined;
      agentUserId?: string | undefined;
      amdResult?: 'human' | 'machine' | 'unknown' | undefined;
    }[],
  ): Promise<void>;
  /**
   * Closes many attempts with their outcomes and applies each contact's next step, in one
   * transaction: the batch form of `finish`, with the same exactly-once rule (an attempt already
   * closed is left alone and reported false). A contact must appear at most once per batch.
   */
  finishMany(
    items: readonly {
      id: string;
      end: AttemptEnd;
      next: ContactNext;
    }[],
  ): Promise<boolean[]>;
  /** Many attempts by id (missing ones are simply absent). */
  getMany(ids: readonly string[]): Promise<AttemptRow[]>;
  /** Every attempt of these contacts (for the compliance gate and the next-step rule). */
  history(contactIds: readonly string[]): Promise<
    {
      id: string;
      contactId: string;
      phone: string;
      placedAt: Date;
      outcome: AttemptOutcomeDb | null;
    }[]
  >;
  /** A campaign's figures since `since`: dials, answers by kind, connects, abandons. */
  campaignFigures(campaignId: string, since: Date): Promise<CampaignFigures>;
  /**
   * A campaign's person answers and abandons since `since`, in buckets of a minute or an hour
   * (by placing time): the dialer seeds its abandon-rate windows with them at start.
   */
  campaignBuckets(
    campaignId: string,
    since: Date,
    unit: 'minute' | 'hour',
  ): Promise<
    {
      start: Date;
      dials: number;
      resolved: number;
      person: number;
      abandons: number;
    }[]
  >;
  /** Whether this agent was connected to a call with this contact (an agent may then read it). */
  handledBy(contactId: string, agentUserId: string): Promise<boolean>;
  get(id: string): Promise<AttemptRow | undefined>;
  /** The contact's most recent attempt. */
  lastOfContact(contactId: string): Promise<AttemptRow | undefined>;
  /**
   * Whether the dialer process `nodeId` is alive: it holds its advisory lock for as long as it
   * runs (PostgreSQL), so if this session can take the lock, the process is gone.
   */
  nodeAlive(nodeId: string): Promise<boolean>;
  /**
   * Attempts still open that were placed before `before` (left behind by a crash), except those
   * of `exceptNode` — a live node's own calls, thousands of them under load, are not read every sweep.
   */
  openBefore(before: Date, exceptNode?: string | null): Promise<AttemptRow[]>;
}

/** Append-only (a trigger refuses UPDATE and DELETE): this class has no way to change a row. */
export interface AuditStore {
  /** How many of these actions the user took since `since`. */
  count(actorUserId: string, action: string, since: Date): Promise<number>;
  append(e: AuditEntry): Promise<void>;
  list(
    orgId: string,
    opts: {
      action?: string | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: AuditRow[];
    total: number;
  }>;
}

export interface CampaignsStore {
  create(c: {
    orgId: string;
    projectId: string;
    name: string;
    settings: CampaignSettings;
    createdBy: string | null;
  }): Promise<CampaignRow>;
  get(orgId: string, id: string): Promise<CampaignRow | undefined>;
  list(
    orgId: string,
    q: {
      projectId?: string | undefined;
      status?: CampaignStatus | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: CampaignRow[];
    total: number;
  }>;
  /**
   * Moves a campaign from `from` to `to` only if it is still in `from` (compare-and-set), so
   * two people pressing buttons, or a person and the dialer, cannot both win.
   */
  setStatus(
    orgId: string,
    id: string,
    from: CampaignStatus,
    to: CampaignStatus,
    at: Date,
    reason?: FinishReason | null,
    statusReason?: string | null,
  ): Promise<CampaignRow | undefined>;
  updateSettings(orgId: string, id: string, settings: CampaignSettings, at: Date): Promise<CampaignRow | undefined>;
  /** Campaigns the dialer must run or start: running ones, and scheduled ones whose time has come. */
  active(now: Date): Promise<CampaignRow[]>;
  /**
   * Leases up to `limit` dialable contacts of the campaign's project for `ttlMs`: open, due
   * (no retry time or a passed one), not leased by anyone else, with all of `tags`. Callbacks
   * that are due come first, then priority, then list order. `FOR UPDATE SKIP LOCKED` makes two
   * loops (or two nodes) racing for the same rows take disjoint sets on PostgreSQL; PGlite has
   * one connection, so there the statement is simply serialised.
   */
  lease(c: {
    orgId: string;
    projectId: string;
    campaignId: string;
    tags: readonly string[];
    limit: number;
    now: Date;
    ttlMs: number;
    /** Only these lists (imports); empty or absent: all. */
    lists?: readonly string[];
    /** Never these lists (their daily cap is reached). */ excludeLists?: readonly string[];
    /**
     * The skills (codes) the campaign asks of its agents. Contacts an agent owns (a task, a callback)
     * are never leased; contacts in another skill group's queue neither.
     */
    skills?: readonly string[];
  }): Promise<LeasedContact[]>;
  /**
   * Claims up to `n` dials from a list's daily cap for the campaign, on the project-calendar
   * `day` (which starts at `dayStart`), and returns how many were granted (0 when the cap is
   * reached). The day's row is created on first use, counting the attempts already placed that
   * day. The row is locked while it changes, so nodes claiming at once never exceed the cap.
   */
  claimListQuota(
    campaignId: string,
    list: string,
    day: string,
    dayStart: Date,
    n: number,
    cap: number,
  ): Promise<number>;
  /**
   * Brings the day's rows of `lists` up to at least the attempts the campaign has placed from
   * each since `dayStart` (creating them if need be): dials made while a list had no cap are
   * counted when a cap comes (back). A count above the attempts (claims not dialed yet) is kept.
   */
  reconcileListQuota(campaignId: string, lists: readonly string[], day: string, dayStart: Date): Promise<void>;
  /** Gives back dials claimed from a list's daily cap and not used (the contact was refused or skipped). */
  returnListQuota(campaignId: string, list: string, day: string, n: number): Promise<void>;
  /** Dials taken from each list's daily cap on `day` (for figures). */
  listUsage(campaignId: string, day: string): Promise<Map<string, number>>;
  /** Records what an agent did with a previewed contact (dialed, or skipped with a reason). */
  recordPreview(p: {
    orgId: string;
    campaignId: string;
    contactId: string;
    agentUserId: string;
    decision: 'dial' | 'skip';
    reason: string | null;
    offeredAt: Date;
    decidedAt: Date;
  }): Promise<void>;
  /** Preview figures since `since`: offers decided, dialed, skipped by reason, mean seconds looked at. */
  previewFigures(
    campaignId: string,
    since: Date,
  ): Promise<{
    decided: number;
    dialed: number;
    skipped: Record<string, number>;
    meanPreviewSeconds: number | null;
  }>;
  /** Leases one chosen contact for the campaign (agent-directed dialing); undefined when it is closed or leased by another. */
  leaseContact(campaignId: string, contactId: string, now: Date, ttlMs: number): Promise<LeasedContact | undefined>;
  /** Gives leased contacts back untouched (campaign paused, gate refused them for now). */
  release(campaignId: string, contactIds: readonly string[]): Promise<void>;
  /**
   * The compliance gate refused a leased contact: give it back and keep it out of the next
   * leases until `until` (the gate's retry time), or close it (closing rule reached).
   */
  defer(
    campaignId: string,
    contactId: string,
    until: Date | null,
    close: {
      reason: string;
    } | null,
  ): Promise<void>;
  /** Open contacts of the project not yet closed: 0 means the list is exhausted. */
  remaining(orgId: string, projectId: string): Promise<number>;
}

export interface ContactsStore {
  list(
    orgId: string,
    q: ContactQuery,
  ): Promise<{
    items: ContactRow[];
    total: number;
  }>;
  /**
   * The next `limit` contacts after `afterId` in id order (keyset paging: exports read a million
   * rows in pages without OFFSET's rescans or a count per page).
   */
  pageAfter(
    orgId: string,
    q: Omit<ContactQuery, 'limit' | 'offset'>,
    afterId: string | null,
    limit: number,
  ): Promise<ContactRow[]>;
  get(orgId: string, id: string, assigneeUserId?: string): Promise<ContactRow | undefined>;
  /** Contacts waiting for a callback, earliest first: of a project, of an owner, due before a time (missed). */
  callbacks(
    orgId: string,
    q: {
      projectId?: string | undefined;
      ownerUserId?: string | undefined;
      dueBefore?: Date | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{ items: ContactRow[]; total: number }>;
  countByStatus(orgId: string, projectId: string): Promise<Record<ContactStatus, number>>;
  /** Changes a contact's name, external id, tags and custom fields (merged into the existing ones). */
  update(
    orgId: string,
    id: string,
    patch: {
      name?: string | null | undefined;
      externalId?: string | null | undefined;
      tags: readonly string[];
      custom: Record<string, unknown>;
    },
  ): Promise<ContactRow | undefined>;
}

/** Dispositions (落单): what the agent recorded about a call, with the contact's next step. */
export interface DispositionsStore {
  /**
   * Records the disposition and applies the contact's next step in one transaction. Returns
   * undefined when the attempt already has one (nothing is changed). The next step is applied
   * only if the contact has no later attempt (a late disposition must not undo a newer state).
   */
  record(
    d: NewDisposition,
    next: ContactNext,
    dnc?: {
      listId: string;
      phone: string;
      reason: string;
    },
  ): Promise<DispositionRow | undefined>;
  forAttempt(attemptId: string): Promise<DispositionRow | undefined>;
  forContact(contactId: string): Promise<DispositionRow[]>;
}

export interface DncStore {
  ensureList(orgId: string, projectId: string | null, name: string): Promise<string>;
  listLists(orgId: string): Promise<DncListRow[]>;
  getList(orgId: string, listId: string): Promise<DncListRow | undefined>;
  /** Adds or refreshes entries (a re-added number gets the new reason and expiry). */
  addEntries(
    listId: string,
    entries: readonly {
      phone: string;
      reason: string;
      source: string;
      expiresAt: Date | null;
    }[],
    createdBy: string | null,
  ): Promise<number>;
  /** Which of `phones` an active list covering the project (or the whole organisation) blocks at `now`. */
  blocked(orgId: string, projectId: string, phones: readonly string[], now: Date): Promise<Set<string>>;
  removeEntry(listId: string, phone: string): Promise<boolean>;
  entries(
    listId: string,
    opts: {
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: DncEntryRow[];
    total: number;
  }>;
  /** Lists that block `phone` for `projectId` at `now`: the organisation-wide ones and the project's own. */
  check(orgId: string, projectId: string | null, phone: string, now: Date): Promise<DncHit[]>;
}

export interface ImportsStore {
  /** Which of `ids` are imports (lists) of this organisation's project. */
  ofProject(orgId: string, projectId: string, ids: readonly string[]): Promise<string[]>;
  create(i: {
    orgId: string;
    projectId: string;
    filename: string;
    totalBytes: number | null;
    createdBy: string | null;
  }): Promise<ImportRow>;
  get(orgId: string, id: string): Promise<ImportRow | undefined>;
  list(
    orgId: string,
    projectId: string,
    opts: {
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: ImportRow[];
    total: number;
  }>;
  setHeader(
    id: string,
    h: {
      format: string;
      encoding: string;
      mapping: Record<string, string>;
      columns: string[];
    },
  ): Promise<void>;
  progress(
    id: string,
    p: {
      bytesRead: number;
      rowsRead: number;
    } & Omit<ImportCounts, 'imported' | 'duplicateExisting' | 'dnc'> & {
        accepted: number;
      },
  ): Promise<void>;
  /**
   * The writer for one import. On PostgreSQL every batch is merged as it arrives, inside one
   * transaction held open for the whole import (ADR 0003): the database works on batch k while
   * the parser reads batch k+1, and a crash rolls all of it back. PGlite has a single
   * connection, and a transaction held open for minutes would stall every other request, so
   * there batches are staged in their own short transactions and merged in one at the end.
   */
  writer(orgId: string, projectId: string, importId: string, startedAt: Date): ImportWriter;
  /**
   * PostgreSQL, per batch: one round trip finds which accepted numbers the project already has
   * and which numbers a do-not-call list covers (index probes for the batch's numbers only);
   * the rows are then split here with the same rules as the `import_merge` function (migration
   * 002) that PGlite runs, and the repository tests hold both to the same outcomes.
   */
  /** Marks the import completed with its counts, inside the merging transaction. */
  /** PGlite: writes a batch of parsed rows to the staging table in one INSERT … unnest. */
  stage(importId: string, rows: readonly StagedRow[], ids: (seq: number) => string): Promise<void>;
  /**
   * PGlite: the only step that makes contacts visible, in one transaction. Rows already in the
   * project and rows on a do-not-call list are set aside with their reason, the rest become
   * contacts, and the import is marked completed with its counts. A crash before COMMIT leaves
   * no contact behind. Merges into one project are serialised by an advisory lock, so two
   * imports of the same number cannot both create it.
   */
  merge(orgId: string, projectId: string, importId: string, now: Date): Promise<ImportRow>;
  /** Marks an import failed and drops its staged rows: nothing of it was, or will be, imported. */
  fail(
    importId: string,
    error: {
      code: string;
      message: string;
      details?: unknown;
    },
    now: Date,
  ): Promise<void>;
  /** Imports whose worker stopped reporting before `staleBefore` (a crash or a kill): fail them. */
  failStale(staleBefore: Date, now: Date): Promise<string[]>;
  rejects(
    importId: string,
    opts: {
      outcome?: RowOutcome | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: RejectRow[];
    total: number;
  }>;
  /** The next `limit` rejected rows after row `afterRow` (keyset paging for exports; no count). */
  rejectsAfter(importId: string, afterRow: number, limit: number): Promise<RejectRow[]>;
}

/** Teams, skill groups and agents' skills: the organisation's routing vocabulary. */
export interface OrgStore {
  createSkillGroup(orgId: string, code: string, name: string): Promise<SkillGroupRow>;
  listSkillGroups(orgId: string): Promise<SkillGroupRow[]>;
  createTeam(orgId: string, name: string): Promise<TeamRow>;
  listTeams(orgId: string): Promise<TeamRow[]>;
  listAgents(
    orgId: string,
    opts?: {
      skill?: string | undefined;
      userId?: string | undefined;
    },
  ): Promise<AgentRow[]>;
  /** One agent's profile and skills, or undefined if the user is no (enabled) agent. */
  getAgent(orgId: string, userId: string): Promise<AgentRow | undefined>;
  setAgent(
    orgId: string,
    userId: string,
    p: {
      teamId?: string | null | undefined;
      extension?: string | null | undefined;
    },
  ): Promise<boolean>;
  /** Replaces an agent's skills; unknown skill codes are reported back, nothing is half-applied. */
  replaceAgentSkills(
    orgId: string,
    userId: string,
    skills: readonly {
      code: string;
      level: number;
    }[],
  ): Promise<{
    unknown: string[];
  }>;
}

export interface ProjectsStore {
  create(orgId: string, p: ProjectInput): Promise<ProjectRow>;
  update(
    orgId: string,
    id: string,
    p: Partial<Omit<ProjectInput, 'code'>> & {
      status?: 'active' | 'archived' | undefined;
    },
  ): Promise<ProjectRow | undefined>;
  getByCode(orgId: string, code: string): Promise<Project | undefined>;
  /** The project row alone (no fields or dispositions), by id. */
  getById(orgId: string, id: string): Promise<ProjectRow | undefined>;
  list(
    orgId: string,
    opts: {
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: ProjectRow[];
    total: number;
  }>;
  fields(projectId: string): Promise<FieldDef[]>;
  /** Replaces the whole custom-field template (configuration without a release). */
  replaceFields(projectId: string, fields: readonly FieldDef[]): Promise<void>;
  dispositions(projectId: string): Promise<DispositionCode[]>;
  replaceDispositions(projectId: string, codes: readonly DispositionCode[]): Promise<void>;
}

/** Questionnaires (问卷): the question bank, drafts and immutable versions, each call's answers. */
export interface QuestionnairesStore {
  bankList(orgId: string, category?: string): Promise<BankRow[]>;
  /** Adds a bank question; undefined when the code is taken. */
  bankCreate(
    orgId: string,
    code: string,
    category: string,
    question: BankRow['question'],
  ): Promise<BankRow | undefined>;
  bankUpdate(
    orgId: string,
    code: string,
    category: string,
    question: BankRow['question'],
  ): Promise<BankRow | undefined>;
  /** Creates a questionnaire with its draft; undefined when the project has one with this code. */
  create(q: {
    orgId: string;
    projectId: string;
    code: string;
    title: LocalText;
    draft: QuestionnaireInput;
    createdBy: string | null;
    at: Date;
  }): Promise<QuestionnaireRow | undefined>;
  saveDraft(
    orgId: string,
    id: string,
    title: LocalText,
    draft: QuestionnaireInput,
    at: Date,
  ): Promise<QuestionnaireRow | undefined>;
  get(orgId: string, id: string): Promise<QuestionnaireRow | undefined>;
  getByCode(orgId: string, projectId: string, code: string): Promise<QuestionnaireRow | undefined>;
  list(orgId: string, projectId: string): Promise<QuestionnaireRow[]>;
  /** Publishes the next version (the previous number + 1) of a questionnaire. */
  publish(v: {
    orgId: string;
    questionnaireId: string;
    document: QuestionnaireDoc;
    publishedBy: string | null;
    at: Date;
  }): Promise<QuestionnaireVersionRow>;
  versions(orgId: string, questionnaireId: string): Promise<Omit<QuestionnaireVersionRow, 'document'>[]>;
  version(orgId: string, questionnaireId: string, version: number): Promise<QuestionnaireVersionRow | undefined>;
  versionById(orgId: string, versionId: string): Promise<QuestionnaireVersionRow | undefined>;
  /** Makes this the project's questionnaire (and no other). */
  activate(orgId: string, projectId: string, id: string): Promise<void>;
  /** The project's questionnaire and its latest published version, if it has one. */
  activeVersion(
    orgId: string,
    projectId: string,
  ): Promise<{ questionnaire: QuestionnaireRow; version: QuestionnaireVersionRow } | undefined>;
  answers(attemptId: string): Promise<CallAnswersRow | undefined>;
  /** Pins the call to a version (first use); returns the row as it is now (an earlier pin wins). */
  pin(attemptId: string, orgId: string, versionId: string, at: Date): Promise<CallAnswersRow>;
  saveAnswers(
    attemptId: string,
    answers: Record<string, AnswerValue>,
    complete: boolean,
    by: string | null,
    at: Date,
  ): Promise<void>;
  knowledge(projectId: string): Promise<KnowledgeRule[]>;
  replaceKnowledge(orgId: string, projectId: string, rules: readonly KnowledgeRule[]): Promise<void>;
}

export interface SessionsStore {
  /** Which of these sessions are still live at `now` (not revoked, not expired, user not disabled). */
  stillActive(sessionIds: readonly string[], now: Date): Promise<string[]>;
  /** A new session; with `ifPasswordHash`, only while that is still the user's hash and the user is enabled. */
  create(s: {
    userId: string;
    tokenHash: string;
    expiresAt: Date;
    ip?: string | undefined;
    userAgent?: string | undefined;
    ifPasswordHash?: string | undefined;
  }): Promise<string | undefined>;
  /** The live session for a token: not expired at `now`, not revoked, user not disabled. */
  findActive(tokenHash: string, now: Date): Promise<SessionPrincipal | undefined>;
  revoke(sessionId: string, now: Date): Promise<void>;
  revokeAllForUser(userId: string, now: Date): Promise<number>;
}

export interface TasksStore {
  /** Contacts of a project that are still open and have no open task on `channel`, oldest first. */
  unassignedContacts(
    orgId: string,
    projectId: string,
    channel: Channel,
    opts: {
      tag?: string | undefined;
      limit: number;
    },
  ): Promise<
    {
      id: string;
      tags: string[];
      importId: string | null;
    }[]
  >;
  /**
   * Moves the contact's open task on `agent_call` to a skill group's queue (no agent), `bump`
   * higher in priority, or creates such a task. Returns the task's id.
   */
  escalate(orgId: string, projectId: string, contactId: string, skillGroupId: string, bump: number): Promise<string>;
  get(orgId: string, id: string): Promise<TaskRow | undefined>;
  /** Moves an open task to an agent or a skill group's queue (or neither: the campaign's). */
  reassign(
    orgId: string,
    id: string,
    to: { assigneeUserId: string | null; skillGroupId: string | null },
  ): Promise<TaskRow | undefined>;
  /** Cancels an open task (its contact then follows the campaign). */
  cancel(orgId: string, id: string): Promise<TaskRow | undefined>;
  /** Open tasks per agent (their current workload), for an even split. */
  openLoad(orgId: string, userIds: readonly string[]): Promise<Map<string, number>>;
  createMany(
    orgId: string,
    projectId: string,
    channel: Channel,
    rows: readonly {
      contactId: string;
      assigneeUserId: string | null;
      skillGroupId: string | null;
    }[],
  ): Promise<number>;
  list(
    orgId: string,
    q: {
      projectId?: string | undefined;
      assigneeUserId?: string | undefined;
      status?: TaskRow['status'] | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: TaskRow[];
    total: number;
  }>;
}

/** Sales projects: the product catalogue and the orders taken on calls (落单). */
export interface OrdersStore {
  products(orgId: string, projectId: string): Promise<ProductRow[]>;
  getProduct(orgId: string, id: string): Promise<ProductRow | undefined>;
  /** Adds a product; undefined when the project has one with this SKU. */
  createProduct(
    orgId: string,
    projectId: string,
    p: { sku: string; name: string; priceCents: number; currency: string },
  ): Promise<ProductRow | undefined>;
  updateProduct(
    orgId: string,
    id: string,
    patch: { name?: string | undefined; priceCents?: number | undefined; active?: boolean | undefined },
  ): Promise<ProductRow | undefined>;
  /** Records the order of a call; undefined when the call already has one. */
  create(o: Omit<OrderRow, 'id'>): Promise<OrderRow | undefined>;
  get(orgId: string, id: string): Promise<OrderRow | undefined>;
  forAttempt(attemptId: string): Promise<OrderRow | undefined>;
  list(
    orgId: string,
    q: {
      projectId?: string | undefined;
      agentUserId?: string | undefined;
      from?: Date | undefined;
      to?: Date | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{ items: OrderRow[]; total: number; amountCents: number }>;
}

/**
 * Webhooks (write-back): subscriptions, the outbox of messages written with the changes they
 * report, and the deliverers' leases. Times come from the caller's clock, never the database's,
 * so deliveries can be tested in virtual time.
 */
export interface WebhooksStore {
  create(w: {
    orgId: string;
    url: string;
    events: readonly string[];
    secret: string;
    description: string;
    createdBy: string | null;
  }): Promise<WebhookRow>;
  list(orgId: string): Promise<WebhookRow[]>;
  get(orgId: string, id: string): Promise<WebhookRow | undefined>;
  update(
    orgId: string,
    id: string,
    patch: {
      url?: string | undefined;
      events?: readonly string[] | undefined;
      description?: string | undefined;
      active?: boolean | undefined;
    },
  ): Promise<WebhookRow | undefined>;
  /** The outbox: one message per active webhook of the organisation subscribed to the event's type. Returns how many. */
  enqueue(events: readonly OutboxEvent[]): Promise<number>;
  /**
   * Leases up to `limit` messages due at `now` (pending, next try due, no live lease) for `ttlMs`:
   * `FOR UPDATE SKIP LOCKED`, so deliverers on several nodes take disjoint sets.
   */
  lease(owner: string, now: Date, ttlMs: number, limit: number): Promise<LeasedWebhookMessage[]>;
  /**
   * Records a try of a leased message: delivered, failed with its next try at `retryAt`, or failed
   * for the last time (`retryAt` null: dead). Ignored (false) when the lease was lost meanwhile.
   */
  settle(
    id: string,
    owner: string,
    attempt: Omit<WebhookAttemptRow, 'n'>,
    outcome: { delivered: true } | { delivered: false; retryAt: Date | null },
  ): Promise<boolean>;
  messages(
    orgId: string,
    q: {
      webhookId?: string | undefined;
      status?: WebhookMessageStatus | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{ items: WebhookMessageRow[]; total: number }>;
  message(
    orgId: string,
    id: string,
  ): Promise<(WebhookMessageRow & { body: string; log: WebhookAttemptRow[] }) | undefined>;
  /** Embedded start: every lease belongs to a process that is gone; give them all back. Returns how many. */
  releaseLeases(): Promise<number>;
  /** The owners of leases still running at `now` (to find the ones whose process died). */
  leaseOwners(now: Date): Promise<string[]>;
  /** Gives back every lease of a process that died (its messages are due again at once). */
  releaseLeasesOf(owner: string): Promise<number>;
  /** Queues a dead (or delivered) message again, its schedule from the start; false if it is pending already. */
  redeliver(orgId: string, id: string, now: Date): Promise<boolean>;
}

export interface UsersStore {
  createOrganisation(name: string): Promise<string>;
  firstOrganisation(): Promise<
    | {
        id: string;
        name: string;
      }
    | undefined
  >;
  create(u: {
    orgId: string;
    username: string;
    displayName: string;
    role: Role;
    passwordHash: string;
  }): Promise<UserRow>;
  /** The accounts with this username (in the organisation named, if any), with the organisation's name; two at most. */
  findByUsername(username: string, organisation?: string): Promise<(UserWithHash & { orgName: string })[]>;
  get(orgId: string, id: string): Promise<UserRow | undefined>;
  list(
    orgId: string,
    opts: {
      role?: Role | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{
    items: UserRow[];
    total: number;
  }>;
  update(
    orgId: string,
    id: string,
    patch: {
      displayName?: string | undefined;
      role?: Role | undefined;
      disabled?: boolean | undefined;
      passwordHash?: string | undefined;
    },
  ): Promise<UserRow | undefined>;
}

/** Every store, over one connection or one transaction. */
/** A SIP trunk an organisation configured (the password never leaves the store but to the carrier). */
export interface TrunkRow {
  id: string;
  orgId: string;
  name: string;
  uri: string;
  transport: 'udp' | 'tcp';
  username: string | null;
  password: string | null;
  maxChannels: number;
  callsPerSecond: number;
  createdAt: Date;
  updatedAt: Date;
}

export type TrunkInput = Pick<
  TrunkRow,
  'name' | 'uri' | 'transport' | 'username' | 'password' | 'maxChannels' | 'callsPerSecond'
>;

export interface RecordingRow {
  attemptId: string;
  orgId: string;
  projectId: string;
  agentUserId: string | null;
  path: string;
  durationMs: number;
  createdAt: Date;
  expiresAt: Date;
}

/** Per caller ID over a period: how its calls fared and how often the called asked not to be called. */
export interface CallerIdHealthRow {
  callerId: string;
  dials: number;
  answered: number;
  person: number;
  abandoned: number;
  /** Numbers called from it that went on a do-not-call list after the call (IVR key, disposition). */
  complaints: number;
  lastUsedAt: Date;
}

/** Telephony's storage: trunks, recordings, caller-ID health. */
export interface TelephonyStore {
  listTrunks(orgId: string): Promise<TrunkRow[]>;
  /** Every organisation's trunks (the SIP carrier's sync). */
  allTrunks(): Promise<TrunkRow[]>;
  getTrunk(orgId: string, id: string): Promise<TrunkRow | undefined>;
  /** Null when the name is taken in the organisation. */
  createTrunk(orgId: string, t: TrunkInput): Promise<TrunkRow | null>;
  /** Undefined when absent; null when the new name is taken. */
  updateTrunk(orgId: string, id: string, t: Partial<TrunkInput>, at: Date): Promise<TrunkRow | undefined | null>;
  deleteTrunk(orgId: string, id: string): Promise<boolean>;
  saveRecording(r: Omit<RecordingRow, 'createdAt'>): Promise<void>;
  getRecording(orgId: string, attemptId: string): Promise<RecordingRow | undefined>;
  /** Recordings past their expiry (oldest first), at most `limit`. */
  expiredRecordings(now: Date, limit: number): Promise<RecordingRow[]>;
  deleteRecordings(attemptIds: readonly string[]): Promise<void>;
  /** How long AMD listened before deciding, on one attempt. */
  setAmdMs(attemptId: string, ms: number): Promise<void>;
  callerIdHealth(orgId: string, since: Date, projectId: string | null): Promise<CallerIdHealthRow[]>;
}

export interface Repositories {
  readonly kind: 'pglite' | 'postgres';
  readonly telephony: TelephonyStore;
  readonly users: UsersStore;
  readonly sessions: SessionsStore;
  readonly audit: AuditStore;
  readonly projects: ProjectsStore;
  readonly org: OrgStore;
  readonly dnc: DncStore;
  readonly contacts: ContactsStore;
  readonly tasks: TasksStore;
  readonly imports: ImportsStore;
  readonly campaigns: CampaignsStore;
  readonly attempts: AttemptsStore;
  readonly dispositions: DispositionsStore;
  readonly questionnaires: QuestionnairesStore;
  readonly orders: OrdersStore;
  readonly webhooks: WebhooksStore;
  /**
   * Runs `fn` with every store bound to one transaction: committed when it resolves, rolled back
   * when it throws. A change and its audit row go through here, so neither exists without the other.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** A round trip to the database (health checks). */
  ping(): Promise<void>;
}
