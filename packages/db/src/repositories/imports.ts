import type { Database, Sql } from '../database.ts';

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
  outcome: StagedOutcome;
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

const COLS = `id, project_id AS "projectId", filename, format, encoding, status, error, mapping, columns,
  total_bytes::float8 AS "totalBytes", bytes_read::float8 AS "bytesRead", rows_read AS "rowsRead",
  imported, duplicate_in_file AS "duplicateInFile", duplicate_existing AS "duplicateExisting", dnc, invalid,
  created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt", finished_at AS "finishedAt"`;

// Separates list items inside one text parameter; cannot occur in a phone or a trimmed tag.
const SEP = '\u001f';
const STAGE_COLUMNS = ['import_id', 'row_number', 'outcome', 'code', 'message', 'phone', 'phones', 'name', 'timezone', 'region', 'tags', 'external_id', 'custom', 'raw'] as const;

/** Escapes a value for COPY's text format (backslash, tab, newline, carriage return). */
function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
/** A text[] literal for COPY: every element double-quoted, quotes and backslashes escaped. */
function copyArray(v: readonly string[] | null): string {
  if (v === null) return '\\N';
  return copyText(`{${v.map((x) => `"${x.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
}

export class ImportsRepo {
  constructor(private readonly db: Database) {}

  async create(i: { orgId: string; projectId: string; filename: string; totalBytes: number | null; createdBy: string | null }): Promise<ImportRow> {
    const [row] = await this.db.query<ImportRow>(
      `INSERT INTO imports (org_id, project_id, filename, status, total_bytes, created_by) VALUES ($1, $2, $3, 'parsing', $4, $5) RETURNING ${COLS}`,
      [i.orgId, i.projectId, i.filename, i.totalBytes, i.createdBy],
    );
    return row!;
  }

  async get(orgId: string, id: string): Promise<ImportRow | undefined> {
    const [row] = await this.db.query<ImportRow>(`SELECT ${COLS} FROM imports WHERE org_id = $1 AND id = $2`, [orgId, id]);
    return row;
  }

  async list(orgId: string, projectId: string, opts: { limit: number; offset: number }): Promise<{ items: ImportRow[]; total: number }> {
    const items = await this.db.query<ImportRow>(
      `SELECT ${COLS} FROM imports WHERE org_id = $1 AND project_id = $2 ORDER BY created_at DESC LIMIT ${opts.limit} OFFSET ${opts.offset}`,
      [orgId, projectId],
    );
    const [c] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM imports WHERE org_id = $1 AND project_id = $2', [orgId, projectId]);
    return { items, total: c!.n };
  }

  async setHeader(id: string, h: { format: string; encoding: string; mapping: Record<string, string>; columns: string[] }): Promise<void> {
    await this.db.query('UPDATE imports SET format = $2, encoding = $3, mapping = $4, columns = $5, updated_at = now() WHERE id = $1',
      [id, h.format, h.encoding, JSON.stringify(h.mapping), JSON.stringify(h.columns)]);
  }

  async progress(id: string, p: { bytesRead: number; rowsRead: number } & Omit<ImportCounts, 'imported' | 'duplicateExisting' | 'dnc'> & { accepted: number }): Promise<void> {
    await this.db.query(
      `UPDATE imports SET bytes_read = $2, rows_read = $3, duplicate_in_file = $4, invalid = $5, imported = $6, updated_at = now()
        WHERE id = $1 AND status = 'parsing'`,
      [id, p.bytesRead, p.rowsRead, p.duplicateInFile, p.invalid, p.accepted],
    );
  }

  /** Writes a batch of parsed rows to the staging table: COPY on PostgreSQL, one INSERT … unnest on PGlite. */
  async stage(importId: string, rows: readonly StagedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const copy = this.db.copyFrom;
    if (copy) {
      const lines = rows.map((r) => [
        importId, String(r.rowNumber), r.outcome, copyText(r.code), copyText(r.message), copyText(r.phone), copyArray(r.phones),
        copyText(r.name), copyText(r.timezone), copyText(r.region), copyArray(r.tags), copyText(r.externalId),
        copyText(r.custom ? JSON.stringify(r.custom) : null), copyText(r.raw ? JSON.stringify(r.raw) : null),
      ].join('\t') + '\n');
      await this.db.transaction((tx) => copy(tx, 'import_rows', STAGE_COLUMNS, (async function* () { yield lines.join(''); })()));
      return;
    }
    const join = (v: readonly string[] | null) => (v === null ? null : v.join(SEP));
    await this.db.query(
      `INSERT INTO import_rows (${STAGE_COLUMNS.join(', ')})
       SELECT $1, r.n, r.o, r.c, r.m, r.p, string_to_array(r.ps, E'\\x1f'), r.nm, r.tz, r.rg, string_to_array(r.tg, E'\\x1f'), r.ex, r.cu::jsonb, r.rw::jsonb
         FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
           AS r(n, o, c, m, p, ps, nm, tz, rg, tg, ex, cu, rw)`,
      [importId, rows.map((r) => r.rowNumber), rows.map((r) => r.outcome), rows.map((r) => r.code), rows.map((r) => r.message),
        rows.map((r) => r.phone), rows.map((r) => join(r.phones)), rows.map((r) => r.name), rows.map((r) => r.timezone),
        rows.map((r) => r.region), rows.map((r) => join(r.tags)), rows.map((r) => r.externalId),
        rows.map((r) => (r.custom ? JSON.stringify(r.custom) : null)), rows.map((r) => (r.raw ? JSON.stringify(r.raw) : null))],
    );
  }

  /**
   * The only step that makes contacts visible, in one transaction: rows already in the
   * project and rows on a do-not-call list are set aside with their reason, the rest become
   * contacts, and the import is marked completed with its counts. A crash before COMMIT
   * leaves no contact behind. Merges into one project are serialised by an advisory lock,
   * so two imports of the same number cannot both create it.
   */
  async merge(orgId: string, projectId: string, importId: string, now: Date): Promise<ImportRow> {
    await this.db.query(`UPDATE imports SET status = 'merging', updated_at = now() WHERE id = $1`, [importId]);
    // Fresh statistics: without them the planner takes a million just-staged rows for a
    // handful and picks nested loops that turn a seconds-long merge into minutes.
    await this.db.exec('ANALYZE import_rows');
    await this.db.exec('ANALYZE dnc_entries');
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`import:${projectId}`]);
      await tx.query(
        `UPDATE import_rows r SET outcome = 'duplicate_existing', code = 'duplicate_existing',
                message = 'the project already has a contact with this number'
           FROM contacts c
          WHERE r.import_id = $1 AND r.outcome = 'accepted' AND c.project_id = $2 AND c.phone = r.phone`,
        [importId, projectId],
      );
      const dnc = `SELECT e.phone, l.name, e.reason FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                    WHERE l.org_id = $2 AND (l.project_id IS NULL OR l.project_id = $3) AND (e.expires_at IS NULL OR e.expires_at > $4)`;
      await tx.query(
        `UPDATE import_rows r SET outcome = 'dnc', code = 'dnc',
                message = 'on do-not-call list "' || d.name || '"' || CASE WHEN d.reason <> '' THEN ': ' || d.reason ELSE '' END
           FROM (${dnc}) d
          WHERE r.import_id = $1 AND r.outcome = 'accepted' AND d.phone = r.phone`,
        [importId, orgId, projectId, now],
      );
      // A blocked secondary number is dropped from the contact; the contact itself stays.
      // Index probes per secondary number (dnc_entries_phone), never a scan per row.
      const blocked = `EXISTS (SELECT 1 FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                          WHERE e.phone = p AND l.org_id = $2 AND (l.project_id IS NULL OR l.project_id = $3)
                            AND (e.expires_at IS NULL OR e.expires_at > $4))`;
      await tx.query(
        `UPDATE import_rows r SET phones = ARRAY(SELECT p FROM unnest(r.phones) WITH ORDINALITY AS u(p, i) WHERE i = 1 OR NOT ${blocked} ORDER BY i)
          WHERE r.import_id = $1 AND r.outcome = 'accepted' AND cardinality(r.phones) > 1
            AND EXISTS (SELECT 1 FROM unnest(r.phones[2:]) AS p WHERE ${blocked})`,
        [importId, orgId, projectId, now],
      );
      await tx.query(
        `INSERT INTO contacts (org_id, project_id, import_id, external_id, name, phone, phones, timezone, region, tags, custom)
         SELECT $2, $3, $1, external_id, name, phone, phones, timezone, region, coalesce(tags, '{}'), coalesce(custom, '{}')
           FROM import_rows WHERE import_id = $1 AND outcome = 'accepted'
         ON CONFLICT (project_id, phone) DO NOTHING`,
        [importId, orgId, projectId],
      );
      const counts = await tx.query<{ outcome: RowOutcome; n: number }>(
        'SELECT outcome, count(*)::int AS n FROM import_rows WHERE import_id = $1 GROUP BY outcome',
        [importId],
      );
      const by = (o: RowOutcome) => counts.find((c) => c.outcome === o)?.n ?? 0;
      const [row] = await tx.query<ImportRow>(
        `UPDATE imports SET status = 'completed', imported = $2, duplicate_in_file = $3, duplicate_existing = $4, dnc = $5, invalid = $6,
                rows_read = $7, finished_at = $8, updated_at = now()
          WHERE id = $1 RETURNING ${COLS}`,
        [importId, by('accepted'), by('duplicate_in_file'), by('duplicate_existing'), by('dnc'), by('invalid'),
          counts.reduce((s, c) => s + c.n, 0), now],
      );
      return row!;
    });
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

  /** Imports whose worker stopped reporting before `staleBefore` (a crash or a kill): fail them. */
  async failStale(staleBefore: Date, now: Date): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM imports WHERE status IN ('parsing', 'merging') AND updated_at < $1`,
      [staleBefore],
    );
    for (const r of rows) {
      await this.fail(r.id, { code: 'import_interrupted', message: 'the import was interrupted (server stopped) before it completed; nothing of it was imported — run it again' }, now);
    }
    return rows.map((r) => r.id);
  }

  async rejects(importId: string, opts: { outcome?: RowOutcome | undefined; limit: number; offset: number }): Promise<{ items: RejectRow[]; total: number }> {
    const params: unknown[] = [importId];
    let filter = `outcome <> 'accepted'`;
    if (opts.outcome) {
      params.push(opts.outcome);
      filter = 'outcome = $2';
    }
    const items = await this.db.query<RejectRow>(
      `SELECT row_number AS "rowNumber", outcome, code, message, phone, name, raw, custom, phones, tags,
              external_id AS "externalId", timezone, region
         FROM import_rows WHERE import_id = $1 AND ${filter} ORDER BY row_number LIMIT ${opts.limit} OFFSET ${opts.offset}`,
      params,
    );
    const [c] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_rows WHERE import_id = $1 AND ${filter}`, params);
    return { items, total: c!.n };
  }
}
