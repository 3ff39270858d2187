import type { Database, Sql } from '../database.ts';
import { timeOrderedIds } from '../ids.ts';
import type {
  ImportStatus,
  StagedOutcome,
  RowOutcome,
  ImportCounts,
  ImportRow,
  StagedRow,
  RejectRow,
  ImportWriter,
  ImportsStore,
} from '@outdial/engine/ports';
export type { ImportStatus, StagedOutcome, RowOutcome, ImportCounts, ImportRow, StagedRow, RejectRow, ImportWriter };

const COLS = `id, project_id AS "projectId", filename, format, encoding, status, error, mapping, columns,
  total_bytes::float8 AS "totalBytes", bytes_read::float8 AS "bytesRead", rows_read AS "rowsRead",
  imported, duplicate_in_file AS "duplicateInFile", duplicate_existing AS "duplicateExisting", dnc, invalid,
  created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt", finished_at AS "finishedAt"`;

// Separates list items inside one text parameter; cannot occur in a phone or a trimmed tag.
const SEP = '\u001f';
const STAGE_COLUMNS = [
  'import_id',
  'row_number',
  'outcome',
  'code',
  'message',
  'phone',
  'phones',
  'name',
  'timezone',
  'region',
  'tags',
  'external_id',
  'custom',
  'raw',
  'contact_id',
] as const;

/** Escapes a value for COPY's text format (backslash, tab, newline, carriage return). */
const COPY_SPECIAL = /[\\\t\n\r]/;
function copyText(v: string | null): string {
  if (v === null) return '\\N';
  // Most values need no escaping; testing first avoids building a new string for them.
  if (!COPY_SPECIAL.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
/** A text[] literal for COPY: every element double-quoted, quotes and backslashes escaped. */
const ARRAY_SPECIAL = /["\\]/;
function copyArray(v: readonly string[] | null): string {
  if (v === null) return '\\N';
  if (v.length === 0) return '{}';
  let out = '{';
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    out += (i ? ',"' : '"') + (ARRAY_SPECIAL.test(x) ? x.replace(/["\\]/g, (c) => `\\${c}`) : x) + '"';
  }
  return copyText(out + '}');
}

type Deferred = { resolve: () => void; reject: (e: Error) => void };
type Screened = { contacts: StagedRow[]; rejects: StagedRow[] };
type Work = ({ screened: Screened } & Deferred) | ({ end: Date } & Deferred) | ({ abort: Error } & Deferred);

/** A one-slot hand-off between the parser (producer) and the open transaction (consumer). */
class Handoff {
  private queue: Work[] = [];
  private waiter: ((w: Work) => void) | null = null;
  private failure: Error | null = null;

  put<T extends Work>(w: T): void {
    if (this.failure) return w.reject(this.failure);
    if (this.waiter) {
      const take = this.waiter;
      this.waiter = null;
      take(w);
    } else this.queue.push(w);
  }

  take(): Promise<Work> {
    const w = this.queue.shift();
    return w ? Promise.resolve(w) : new Promise((r) => (this.waiter = r));
  }

  /** The consumer died: everything waiting, and everything put later, fails with `err`. */
  fail(err: Error): void {
    this.failure = err;
    for (const w of this.queue.splice(0)) w.reject(err);
  }
}

function deferred(): Deferred & { promise: Promise<void> } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const CONTACT_COLUMNS = [
  'id',
  'org_id',
  'project_id',
  'import_id',
  'external_id',
  'name',
  'phone',
  'phones',
  'timezone',
  'region',
  'tags',
  'custom',
] as const;

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

/** COPY text lines for new contacts. */
function contactLines(
  orgId: string,
  projectId: string,
  importId: string,
  rows: readonly StagedRow[],
  ids: (seq: number) => string,
): string {
  const head = `\t${orgId}\t${projectId}\t${importId}\t`;
  let out = '';
  for (const r of rows) {
    out +=
      ids(r.rowNumber) +
      head +
      copyText(r.externalId) +
      '\t' +
      copyText(r.name) +
      '\t' +
      copyText(r.phone) +
      '\t' +
      copyArray(r.phones) +
      '\t' +
      copyText(r.timezone) +
      '\t' +
      copyText(r.region) +
      '\t' +
      copyArray(r.tags ?? []) +
      '\t' +
      copyText(JSON.stringify(r.custom ?? {})) +
      '\n';
  }
  return out;
}

/** COPY text lines for staged rows; accepted rows get their contact's time-ordered id. */
function copyLines(importId: string, rows: readonly StagedRow[], ids: (seq: number) => string): string {
  let out = '';
  for (const r of rows) {
    out +=
      [
        importId,
        String(r.rowNumber),
        r.outcome,
        copyText(r.code),
        copyText(r.message),
        copyText(r.phone),
        copyArray(r.phones),
        copyText(r.name),
        copyText(r.timezone),
        copyText(r.region),
        copyArray(r.tags),
        copyText(r.externalId),
        copyText(r.custom ? JSON.stringify(r.custom) : null),
        copyText(r.raw ? JSON.stringify(r.raw) : null),
        r.outcome === 'accepted' ? ids(r.rowNumber) : '\\N',
      ].join('\t') + '\n';
  }
  return out;
}

/** PGlite: staged rows per INSERT (~0.1 s each on the embedded engine). */
const STAGE_ROWS = 250;
/** PGlite: file rows merged per transaction (~0.1–0.2 s each). */
const MERGE_ROWS = 1000;
/** PGlite: rows staged or merged between two checkpoints (see `checkpointEvery`). */
const CHECKPOINT_ROWS = 25_000;
const WRITTEN = new WeakMap<Database, number>();
/** PGlite merges in progress, per database and project (see `merge`). */
const MERGE_LOCKS = new WeakMap<Database, Map<string, Promise<void>>>();

/**
 * Lets the event loop turn once before the next statement is queued, so a request that arrived
 * meanwhile is read and gets its query in ahead of it. setImmediate runs after the loop has
 * polled for I/O; setTimeout(0) does not guarantee that: with two staging chains in flight (the
 * import keeps two batches writing) their timers kept each other due and sockets went unread —
 * /healthz waited 13–26 s in a 1M-row import (imports-turns.test.ts, docs/benchmarks.md).
 */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ImportsRepo implements ImportsStore {
  constructor(private readonly db: Database) {}

  async create(i: {
    orgId: string;
    projectId: string;
    filename: string;
    totalBytes: number | null;
    createdBy: string | null;
  }): Promise<ImportRow> {
    const [row] = await this.db.query<ImportRow>(
      `INSERT INTO imports (org_id, project_id, filename, status, total_bytes, created_by) VALUES ($1, $2, $3, 'parsing', $4, $5) RETURNING ${COLS}`,
      [i.orgId, i.projectId, i.filename, i.totalBytes, i.createdBy],
    );
    return row!;
  }

  /** Which of `ids` are imports (lists) of this organisation's project. */
  async ofProject(orgId: string, projectId: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<{ id: string }>(
      'SELECT id FROM imports WHERE org_id = $1 AND project_id = $2 AND id = ANY($3::uuid[])',
      [orgId, projectId, ids],
    );
    return rows.map((r) => r.id);
  }

  async get(orgId: string, id: string): Promise<ImportRow | undefined> {
    const [row] = await this.db.query<ImportRow>(`SELECT ${COLS} FROM imports WHERE org_id = $1 AND id = $2`, [
      orgId,
      id,
    ]);
    return row;
  }

  async list(
    orgId: string,
    projectId: string,
    opts: { limit: number; offset: number },
  ): Promise<{ items: ImportRow[]; total: number }> {
    const items = await this.db.query<ImportRow>(
      `SELECT ${COLS} FROM imports WHERE org_id = $1 AND project_id = $2 ORDER BY created_at DESC LIMIT $3 OFFSET $4`,
      [orgId, projectId, opts.limit, opts.offset],
    );
    const [c] = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM imports WHERE org_id = $1 AND project_id = $2',
      [orgId, projectId],
    );
    return { items, total: c!.n };
  }

  async setHeader(
    id: string,
    h: { format: string; encoding: string; mapping: Record<string, string>; columns: string[] },
  ): Promise<void> {
    await this.db.query(
      'UPDATE imports SET format = $2, encoding = $3, mapping = $4, columns = $5, updated_at = now() WHERE id = $1',
      [id, h.format, h.encoding, JSON.stringify(h.mapping), JSON.stringify(h.columns)],
    );
  }

  async progress(
    id: string,
    p: { bytesRead: number; rowsRead: number } & Omit<ImportCounts, 'imported' | 'duplicateExisting' | 'dnc'> & {
        accepted: number;
      },
  ): Promise<void> {
    await this.db.query(
      `UPDATE imports SET bytes_read = $2, rows_read = $3, duplicate_in_file = $4, invalid = $5, imported = $6, updated_at = now()
        WHERE id = $1 AND status = 'parsing'`,
      [id, p.bytesRead, p.rowsRead, p.duplicateInFile, p.invalid, p.accepted],
    );
  }

  /**
   * The writer for one import. On PostgreSQL every batch is merged as it arrives, inside one
   * transaction held open for the whole import (ADR 0003): the database works on batch k while
   * the parser reads batch k+1, and a crash rolls all of it back. PGlite has a single
   * connection, and a transaction held open for minutes would stall every other request, so
   * there batches are staged in their own short transactions and merged in one at the end.
   */
  writer(orgId: string, projectId: string, importId: string, startedAt: Date): ImportWriter {
    return this.db.copyFrom
      ? this.streamingWriter(orgId, projectId, importId, startedAt)
      : this.stagedWriter(orgId, projectId, importId, startedAt);
  }

  /**
   * PostgreSQL, per batch: one round trip finds which accepted numbers the project already has
   * and which numbers a do-not-call list covers (index probes for the batch's numbers only);
   * the rows are then split here with the same rules as the `import_merge` function (migration
   * 002) that PGlite runs, and the repository tests hold both to the same outcomes.
   */
  private async screen(
    tx: Sql,
    orgId: string,
    projectId: string,
    rows: readonly StagedRow[],
    now: Date,
  ): Promise<{ contacts: StagedRow[]; rejects: StagedRow[] }> {
    const primaries: string[] = [];
    const numbers = new Set<string>();
    for (const r of rows) {
      if (r.outcome !== 'accepted' || !r.phone) continue;
      primaries.push(r.phone);
      for (const p of r.phones ?? [r.phone]) numbers.add(p);
    }
    const hits =
      primaries.length === 0
        ? []
        : await tx.query<{ kind: 'dup' | 'dnc'; phone: string; list: string | null; reason: string | null }>(
            // Per number, an equality probe on the (project_id, phone) unique index: the planner knows
            // it yields at most one row whatever its statistics say, so the plan cannot degrade into a
            // scan of the project as the import grows it inside this transaction.
            `SELECT 'dup' AS kind, c.phone, NULL AS list, NULL AS reason
         FROM unnest(string_to_array($2, E'\\x1f')) AS n(phone), LATERAL (SELECT phone FROM contacts WHERE project_id = $1 AND phone = n.phone LIMIT 1) c
       UNION ALL
       SELECT 'dnc', e.phone, l.name, e.reason FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
        WHERE e.phone = ANY(string_to_array($3, E'\\x1f')) AND l.org_id = $4 AND (l.project_id IS NULL OR l.project_id = $1) AND (e.expires_at IS NULL OR e.expires_at > $5)`,
            // Numbers travel as one separated string: cheaper to send than a text[] parameter.
            [projectId, primaries.join(SEP), [...numbers].join(SEP), orgId, now],
          );
    const existing = new Set<string>();
    const blocked = new Map<string, string>();
    for (const h of hits.sort((a, b) => (a.list ?? '').localeCompare(b.list ?? ''))) {
      if (h.kind === 'dup') existing.add(h.phone);
      else if (!blocked.has(h.phone))
        blocked.set(h.phone, `on do-not-call list "${h.list}"${h.reason ? `: ${h.reason}` : ''}`);
    }
    const contacts: StagedRow[] = [];
    const rejects: StagedRow[] = [];
    for (const r of rows) {
      if (r.outcome !== 'accepted' || !r.phone) rejects.push(r);
      else if (existing.has(r.phone)) {
        rejects.push({
          ...r,
          outcome: 'duplicate_existing',
          code: 'duplicate_existing',
          message: 'the project already has a contact with this number',
        });
      } else if (blocked.has(r.phone)) {
        rejects.push({ ...r, outcome: 'dnc', code: 'dnc', message: blocked.get(r.phone)! });
      } else if (r.phones && r.phones.length > 1 && r.phones.some((p, i) => i > 0 && blocked.has(p))) {
        // A blocked secondary number is dropped from the contact; the contact itself stays.
        contacts.push({ ...r, phones: r.phones.filter((p, i) => i === 0 || !blocked.has(p)) });
      } else contacts.push(r);
    }
    return { contacts, rejects };
  }

  private stagedWriter(orgId: string, projectId: string, importId: string, startedAt: Date): ImportWriter {
    const ids = timeOrderedIds(startedAt.getTime());
    const staged = { invalid: 0, duplicate_in_file: 0 };
    return {
      write: async (rows) => {
        await this.stage(importId, rows, ids);
        for (const r of rows) if (r.outcome === 'invalid' || r.outcome === 'duplicate_in_file') staged[r.outcome]++;
      },
      finish: (now) => this.merge(orgId, projectId, importId, now, staged),
      abort: async () => undefined, // the caller's fail() drops the staged rows
    };
  }

  private streamingWriter(orgId: string, projectId: string, importId: string, startedAt: Date): ImportWriter {
    const copy = this.db.copyFrom!;
    const handoff = new Handoff();
    const ids = timeOrderedIds(startedAt.getTime());
    const counts: Record<RowOutcome, number> = {
      accepted: 0,
      duplicate_in_file: 0,
      duplicate_existing: 0,
      dnc: 0,
      invalid: 0,
    };
    let completed: ImportRow | undefined;
    let ending: Deferred | undefined;
    let onLocked!: () => void;
    const locked = new Promise<void>((resolve) => (onLocked = resolve));
    const txn = this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`import:${projectId}`]);
      // Fresh statistics so each batch probes the do-not-call index instead of scanning it.
      await tx.exec('ANALYZE dnc_entries');
      onLocked();
      for (;;) {
        const w = await handoff.take();
        if ('abort' in w) {
          w.resolve();
          throw w.abort;
        }
        if ('end' in w) {
          completed = await this.complete(tx, importId, counts, w.end);
          ending = w; // resolved once COMMIT has returned
          return;
        }
        try {
          const { contacts, rejects } = w.screened;
          for (const r of rejects) counts[r.outcome]++;
          counts.accepted += contacts.length;
          if (contacts.length)
            await copy(tx, 'contacts', CONTACT_COLUMNS, once(contactLines(orgId, projectId, importId, contacts, ids)));
          if (rejects.length) await copy(tx, 'import_rows', STAGE_COLUMNS, once(copyLines(importId, rejects, ids)));
          w.resolve();
        } catch (err) {
          w.reject(err as Error);
          throw err;
        }
      }
    });
    txn.then(
      () => ending?.resolve(),
      (err: Error) => {
        handoff.fail(err);
        ending?.reject(err);
      },
    );
    const send = (make: (d: Deferred) => Work): Promise<void> => {
      const d = deferred();
      handoff.put(make(d));
      return d.promise;
    };
    // Screening only reads (committed contacts of the project, do-not-call lists), so it runs on
    // another pooled connection while the transaction's connection is still copying the previous
    // batch. It waits for the project's lock: from then on no other import can add contacts to
    // this project, and the parser has already set aside numbers repeated within this file.
    const ready = Promise.race([locked, txn.then(() => undefined)]);
    return {
      write: async (rows) => {
        await ready;
        const screened = await this.screen(this.db, orgId, projectId, rows, startedAt);
        return send((d) => ({ screened, ...d }));
      },
      finish: async (now) => {
        // Outside the transaction, which must not touch this row before its last statement:
        // progress updates from other connections would wait on its lock.
        await this.db.query(`UPDATE imports SET status = 'merging', updated_at = now() WHERE id = $1`, [importId]);
        await send((d) => ({ end: now, ...d }));
        return completed!;
      },
      abort: async (reason) => {
        // Aborting after a failure the caller already holds and rethrows: the transaction may be
        // broken already (that failure), and either way it ends rolled back.
        await send((d) => ({ abort: reason, ...d })).catch(() => undefined);
        await txn.catch(() => undefined);
      },
    };
  }

  /** Marks the import completed with its counts, inside the merging transaction. */
  private async complete(tx: Sql, importId: string, counts: Record<RowOutcome, number>, now: Date): Promise<ImportRow> {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const [row] = await tx.query<ImportRow>(
      `UPDATE imports SET status = 'completed', imported = $2, duplicate_in_file = $3, duplicate_existing = $4, dnc = $5, invalid = $6,
              rows_read = $7, finished_at = $8, updated_at = now()
        WHERE id = $1 RETURNING ${COLS}`,
      [
        importId,
        counts.accepted,
        counts.duplicate_in_file,
        counts.duplicate_existing,
        counts.dnc,
        counts.invalid,
        total,
        now,
      ],
    );
    return row!;
  }

  /**
   * PGlite: writes a batch of parsed rows to the staging table, STAGE_ROWS at a time (one
   * INSERT … unnest each), letting the event loop and other queries run between them: PGlite
   * runs each statement on this thread, so one statement for a whole 10,000-row batch held
   * everything else up for over a second (ADR 0015).
   */
  async stage(importId: string, rows: readonly StagedRow[], ids: (seq: number) => string): Promise<void> {
    for (let at = 0; at < rows.length; at += STAGE_ROWS) {
      if (at > 0) await yieldToOthers();
      await this.stageSome(importId, rows.slice(at, at + STAGE_ROWS), ids);
      await this.checkpointEvery(Math.min(STAGE_ROWS, rows.length - at));
    }
  }

  /**
   * PGlite has no checkpointer process: when the WAL since the last checkpoint passes
   * max_wal_size, the statement that crossed it writes out every dirty buffer (up to 128 MB)
   * itself, a stall of 1–2 s measured in the middle of a million-row import. Checkpointing
   * after every CHECKPOINT_ROWS rows written keeps each one small (ADR 0015).
   */
  private async checkpointEvery(rows: number): Promise<void> {
    const n = (WRITTEN.get(this.db) ?? 0) + rows;
    if (n < CHECKPOINT_ROWS) {
      WRITTEN.set(this.db, n);
      return;
    }
    WRITTEN.set(this.db, 0);
    await yieldToOthers();
    await this.db.exec('CHECKPOINT');
  }

  private async stageSome(importId: string, rows: readonly StagedRow[], ids: (seq: number) => string): Promise<void> {
    if (rows.length === 0) return;
    const join = (v: readonly string[] | null) => (v === null ? null : v.join(SEP));
    await this.db.query(
      `INSERT INTO import_rows (${STAGE_COLUMNS.join(', ')})
       SELECT $1, r.n, r.o, r.c, r.m, r.p, string_to_array(r.ps, E'\\x1f'), r.nm, r.tz, r.rg, string_to_array(r.tg, E'\\x1f'), r.ex, r.cu::jsonb, r.rw::jsonb, r.id::uuid
         FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
           AS r(n, o, c, m, p, ps, nm, tz, rg, tg, ex, cu, rw, id)`,
      [
        importId,
        rows.map((r) => r.rowNumber),
        rows.map((r) => r.outcome),
        rows.map((r) => r.code),
        rows.map((r) => r.message),
        rows.map((r) => r.phone),
        rows.map((r) => join(r.phones)),
        rows.map((r) => r.name),
        rows.map((r) => r.timezone),
        rows.map((r) => r.region),
        rows.map((r) => join(r.tags)),
        rows.map((r) => r.externalId),
        rows.map((r) => (r.custom ? JSON.stringify(r.custom) : null)),
        rows.map((r) => (r.raw ? JSON.stringify(r.raw) : null)),
        rows.map((r) => (r.outcome === 'accepted' ? ids(r.rowNumber) : null)),
      ],
    );
  }

  /**
   * PGlite: makes the staged rows contacts (ADR 0003, in steps since ADR 0015). Rows already in
   * the project and rows on a do-not-call list are set aside with their reason, the rest
   * become contacts, MERGE_ROWS file rows per short transaction (`import_merge_range`), with
   * the event loop and other queries served between steps — one transaction for a million
   * rows held the single embedded connection, and with it every request, for half a minute.
   * Merges into one project are serialised by a lock in this process (PGlite has one
   * connection, so a database lock would not tell two imports apart). The contacts of an
   * import become visible step by step while it is `merging`; if a step fails, those already
   * created are deleted again before the failure is reported, and a merge cut off by a crash
   * is undone at the next start (`failStale`). An import of up to MERGE_ROWS rows is still
   * merged in one transaction.
   */
  async merge(
    orgId: string,
    projectId: string,
    importId: string,
    now: Date,
    staged?: { invalid: number; duplicate_in_file: number },
  ): Promise<ImportRow> {
    await this.db.query(`UPDATE imports SET status = 'merging', updated_at = now() WHERE id = $1`, [importId]);
    return this.projectLock(projectId, async () => {
      const [span] = await this.db.query<{ lo: number | null; hi: number | null }>(
        `SELECT min(row_number) AS lo, max(row_number) AS hi FROM import_rows WHERE import_id = $1 AND outcome = 'accepted'`,
        [importId],
      );
      const counts: Record<RowOutcome, number> = {
        accepted: 0,
        duplicate_in_file: 0,
        duplicate_existing: 0,
        dnc: 0,
        invalid: 0,
      };
      const lo = span?.lo ?? 0;
      const hi = span?.hi ?? -1;
      const step = async (tx: Sql, from: number) => {
        const [r] = await tx.query<{ created: number; dup: number; dnc: number }>(
          'SELECT created, duplicate_existing AS dup, dnc FROM import_merge_range($1, $2, $3, $4, $5, $6)',
          [importId, orgId, projectId, now, from, Math.min(hi, from + MERGE_ROWS - 1)],
        );
        counts.accepted += r!.created;
        counts.duplicate_existing += r!.dup;
        counts.dnc += r!.dnc;
      };
      const finish = async (tx: Sql) => {
        if (staged) {
          counts.invalid = staged.invalid;
          counts.duplicate_in_file = staged.duplicate_in_file;
        } else {
          // Only when the caller did not count what it staged: walks the import's index entries.
          const rest = await tx.query<{ outcome: RowOutcome; n: number }>(
            `SELECT outcome, count(*)::int AS n FROM import_rows WHERE import_id = $1 AND outcome IN ('invalid', 'duplicate_in_file') GROUP BY outcome`,
            [importId],
          );
          for (const c of rest) counts[c.outcome] = c.n;
        }
        return this.complete(tx, importId, counts, now);
      };
      if (hi - lo < MERGE_ROWS) {
        // Small enough for one short transaction: all or nothing, as before.
        return this.db.transaction(async (tx) => {
          if (hi >= lo) await step(tx, lo);
          return finish(tx);
        });
      }
      try {
        for (let from = lo; from <= hi; from += MERGE_ROWS) {
          if (from > lo) await yieldToOthers();
          await this.db.transaction((tx) => step(tx, from));
          await this.checkpointEvery(MERGE_ROWS);
        }
        return await this.db.transaction(finish);
      } catch (err) {
        await this.removeContactsOf(importId).catch(() => undefined); // the import is failed by the caller either way
        throw err;
      }
    });
  }

  /** Runs `fn` after every earlier merge into the same project (in this process) has ended. */
  private projectLock<T>(projectId: string, fn: () => Promise<T>): Promise<T> {
    let locks = MERGE_LOCKS.get(this.db);
    if (!locks) MERGE_LOCKS.set(this.db, (locks = new Map<string, Promise<void>>()));
    const prev = locks.get(projectId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    locks.set(projectId, tail);
    void tail.then(() => {
      if (locks.get(projectId) === tail) locks.delete(projectId);
    });
    return run;
  }

  /** Deletes the contacts an unfinished PGlite merge created, a step at a time. */
  private async removeContactsOf(importId: string): Promise<void> {
    for (;;) {
      const gone = await this.db.query<{ id: string }>(
        `DELETE FROM contacts WHERE id IN (SELECT id FROM contacts WHERE import_id = $1 LIMIT ${MERGE_ROWS}) RETURNING id`,
        [importId],
      );
      if (gone.length < MERGE_ROWS) return;
      await yieldToOthers();
    }
  }

  /** Marks an import failed and drops its staged rows: nothing of it was, or will be, imported. */
  async fail(importId: string, error: { code: string; message: string; details?: unknown }, now: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM import_rows WHERE import_id = $1', [importId]);
      await tx.query(
        `UPDATE imports SET status = 'failed', error = $2, imported = 0, finished_at = $3, updated_at = now() WHERE id = $1 AND status <> 'completed'`,
        [importId, JSON.stringify(error), now],
      );
    });
  }

  /**
   * Imports whose worker stopped reporting before `staleBefore` (a crash or a kill): fail them.
   * On PGlite a merge cut off half-way left some of its contacts behind (ADR 0015): they are
   * deleted, so nothing of a failed import stays. (On PostgreSQL the transaction rolled back.)
   */
  async failStale(staleBefore: Date, now: Date): Promise<string[]> {
    const rows = await this.db.query<{ id: string; status: ImportStatus }>(
      `SELECT id, status FROM imports WHERE status IN ('parsing', 'merging') AND updated_at < $1`,
      [staleBefore],
    );
    for (const r of rows) {
      if (r.status === 'merging' && this.db.kind === 'pglite') await this.removeContactsOf(r.id);
      await this.fail(
        r.id,
        {
          code: 'import_interrupted',
          message:
            'the import was interrupted (server stopped) before it completed; nothing of it was imported — run it again',
        },
        now,
      );
    }
    return rows.map((r) => r.id);
  }

  async rejects(
    importId: string,
    opts: { outcome?: RowOutcome | undefined; limit: number; offset: number },
  ): Promise<{ items: RejectRow[]; total: number }> {
    const params: unknown[] = [importId];
    let filter = `outcome <> 'accepted'`;
    if (opts.outcome) {
      params.push(opts.outcome);
      filter = 'outcome = $2';
    }
    const items = await this.db.query<RejectRow>(
      `SELECT row_number AS "rowNumber", outcome, code, message, phone, name, raw, custom, phones, tags,
              external_id AS "externalId", timezone, region
         FROM import_rows WHERE import_id = $1 AND ${filter} ORDER BY row_number LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, opts.limit, opts.offset],
    );
    const [c] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1 AND ${filter}`,
      params,
    );
    return { items, total: c!.n };
  }

  async rejectsAfter(importId: string, afterRow: number, limit: number): Promise<RejectRow[]> {
    return this.db.query<RejectRow>(
      `SELECT row_number AS "rowNumber", outcome, code, message, phone, name, raw, custom, phones, tags,
              external_id AS "externalId", timezone, region
         FROM import_rows WHERE import_id = $1 AND outcome <> 'accepted' AND row_number > $2
        ORDER BY row_number LIMIT $3`,
      [importId, afterRow, limit],
    );
  }
}
