import { stat, unlink } from 'node:fs/promises';
import type { ImportRow, Repositories, RowOutcome, StagedRow } from './ports/index.ts';
import {
  contactFileFormat,
  ImportFileError,
  parseContactFile,
  parseContactFileInWorker,
  FIXED_FIELDS,
  type RowOutcome as ParsedOutcome,
} from '@outdial/importer';
import { AppError, forbidden, invalid, notFound } from './errors.ts';
import { outboxEvent } from './webhooks/events.ts';
import { assertCan, type Principal } from './auth.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { Clock } from './ports/index.ts';
import { csvLine } from './csv.ts';
import { maskDigits, type PersonalData } from './pii.ts';

/** Rows per staging write: large enough for COPY to pay off, small enough for steady progress. */
const BATCH = 10_000;
/** From this size on a file is parsed on a worker thread (starting one costs ~0.2 s). */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/** Read as XLSX (an unsupported extension is reported by the parser itself). */
function isXlsx(filename: string): boolean {
  try {
    return contactFileFormat({ filename }) === 'xlsx';
  } catch {
    return false;
  }
}

export interface ImportRequest {
  projectCode: string;
  /** A file on local disk (an upload spooled by the HTTP layer, or the CLI's argument). */
  path: string;
  filename: string;
  mapping?: Record<string, string> | undefined;
  encoding?: 'auto' | 'utf8' | 'gb18030' | undefined;
  /** Delete `path` when done (uploads). */
  removeFileAfter?: boolean | undefined;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number | null;
  rowsRead: number;
}

function toStaged(o: ParsedOutcome): StagedRow {
  switch (o.kind) {
    case 'ok': {
      const c = o.contact;
      return {
        rowNumber: c.rowNumber,
        outcome: 'accepted',
        code: null,
        message: null,
        phone: c.phones[0] ?? null,
        phones: c.phones,
        name: c.name,
        timezone: c.timezone,
        region: c.region,
        tags: c.tags,
        externalId: c.externalId,
        custom: c.custom,
        raw: null,
      };
    }
    case 'invalid':
      return {
        rowNumber: o.rowNumber,
        outcome: 'invalid',
        code: o.code,
        message: o.message,
        phone: null,
        phones: null,
        name: null,
        timezone: null,
        region: null,
        tags: null,
        externalId: null,
        custom: null,
        raw: o.raw,
      };
    case 'duplicate_in_file':
      return {
        rowNumber: o.rowNumber,
        outcome: 'duplicate_in_file',
        code: 'duplicate_in_file',
        message: `same number as row ${o.firstRowNumber}`,
        phone: o.phone,
        phones: null,
        name: null,
        timezone: null,
        region: null,
        tags: null,
        externalId: null,
        custom: null,
        raw: o.raw,
      };
  }
}

/** Refuses a file name whose format the importer cannot read (422 import_file_invalid, naming what is read). */
export function checkFilename(filename: string): void {
  try {
    contactFileFormat({ filename });
  } catch (err) {
    if (err instanceof ImportFileError)
      throw new AppError('import_file_invalid', err.message, {
        code: err.code,
        ...(err.details as object | undefined),
      });
    throw err;
  }
}

/** The import.finished event: completed with its counts, or failed with why. */
function importFinished(orgId: string, project: string | null, r: ImportRow, at: Date) {
  return outboxEvent(orgId, 'import.finished', at, {
    importId: r.id,
    project,
    filename: r.filename,
    status: r.status,
    rowsRead: r.rowsRead,
    imported: r.imported,
    duplicateInFile: r.duplicateInFile,
    duplicateExisting: r.duplicateExisting,
    dnc: r.dnc,
    invalid: r.invalid,
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
  });
}

/**
 * 名单上传: parse → stage every row with its verdict → merge in one transaction.
 * Nothing becomes a contact until the merge commits, so a crash half-way leaves an import
 * marked failed and no half list (ADR 0003).
 */
/** Imports one server runs at once unless configured (OUTDIAL_MAX_RUNNING_IMPORTS). */
export const DEFAULT_MAX_RUNNING_IMPORTS = 4;

export class ImportService {
  /** Imports of this process between `start` and their end. */
  private running = 0;

  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly pii: PersonalData,
    private readonly log: Logger = silentLogger,
    /** Imports this process runs at once; each has a parser thread and a stream of writes. */
    private readonly maxRunning: number = DEFAULT_MAX_RUNNING_IMPORTS,
  ) {}

  /**
   * Everything that can refuse an import before its file is read: the permission, the project,
   * and (when the name is known) the file's format. The upload route calls it before it reads a
   * byte of the body, so a refused request leaves nothing on disk.
   */
  async prepare(actor: Principal, projectCode: string, filename?: string) {
    assertCan(actor, 'contacts:import');
    // An import tells, row by row, which of its numbers the project already has (duplicates,
    // do-not-call): a lookup of complete numbers in bulk. A role that sees masked numbers would
    // recover any number in one upload, so importing needs a role that may see them.
    if (!this.pii.unmasked(actor))
      throw forbidden(
        'importing shows which numbers are already known, and your role sees masked numbers (OUTDIAL_UNMASK_ROLES)',
      );
    const project = await this.repos.projects.getByCode(actor.orgId, projectCode);
    if (!project) throw notFound(`project "${projectCode}"`);
    if (filename !== undefined) checkFilename(filename);
    this.assertRoom();
    return project;
  }

  /** Refuses (429, before the upload is read) an import beyond the number this server runs at once. */
  private assertRoom(): void {
    if (this.running >= this.maxRunning)
      throw new AppError(
        'rate_limited',
        `${this.running} imports are running on this server, the most it runs at once; try again when one has finished`,
        { running: this.running, limit: this.maxRunning },
      );
  }

  /**
   * The import wizard's preview: the header, the mapping (the given one completed by the
   * suggestions from the headers) and the verdicts of the first rows, as an import would give them
   * before the project and do-not-call checks. Same permission and role as an import; the
   * file is read only as far as needed and nothing is stored.
   */
  async preview(
    actor: Principal,
    req: Omit<ImportRequest, 'removeFileAfter'>,
    rows = 10,
  ): Promise<{
    format: 'csv' | 'xlsx';
    encoding: string;
    columns: string[];
    mapping: Record<string, string>;
    unmappedColumns: string[];
    fields: { key: string; labelZh?: string; labelEn?: string; custom: boolean }[];
    rows: {
      rowNumber: number;
      outcome: 'ok' | 'invalid' | 'duplicate_in_file';
      code: string | null;
      message: string | null;
      name: string | null;
      phone: string | null;
      tags: string[];
      custom: Record<string, unknown>;
    }[];
  }> {
    const project = await this.prepare(actor, req.projectCode, req.filename);
    const spec = {
      filename: req.filename,
      defaultRegion: project.defaultRegion,
      fields: project.fields,
      ...(req.mapping ? { mapping: req.mapping } : {}),
      encoding: req.encoding ?? 'auto',
    } as const;
    const parsed = isXlsx(req.filename)
      ? parseContactFileInWorker(req.path, spec)
      : parseContactFile({ path: req.path }, spec);
    const header = await parsed.header.catch((err: unknown) => {
      if (err instanceof ImportFileError) throw invalid(err.message, { code: err.code, details: err.details });
      throw err;
    });
    const unmasked = this.pii.unmasked(actor);
    const phone = (e164: string | undefined) => (e164 ? (unmasked ? e164 : maskDigits(e164)) : null);
    const out: Awaited<ReturnType<ImportService['preview']>>['rows'] = [];
    try {
      read: for await (const batch of parsed.batches)
        for (const r of batch) {
          if (r.kind === 'ok')
            out.push({
              rowNumber: r.contact.rowNumber,
              outcome: 'ok',
              code: null,
              message: null,
              name: r.contact.name,
              phone: phone(r.contact.phones[0]),
              tags: r.contact.tags,
              custom: r.contact.custom,
            });
          else
            out.push({
              rowNumber: r.rowNumber,
              outcome: r.kind,
              code: r.kind === 'invalid' ? r.code : 'duplicate_in_file',
              message: r.kind === 'invalid' ? r.message : `same number as row ${r.firstRowNumber}`,
              name: null,
              phone: r.kind === 'duplicate_in_file' ? phone(r.phone) : null,
              tags: [],
              custom: {},
            });
          if (out.length >= rows) break read;
        }
    } catch (err) {
      if (err instanceof ImportFileError) throw invalid(err.message, { code: err.code, details: err.details });
      throw err;
    }
    return {
      format: header.format,
      encoding: header.encoding,
      columns: header.columns,
      mapping: header.mapping,
      unmappedColumns: header.unmappedColumns,
      fields: [
        ...FIXED_FIELDS.map((key) => ({ key, custom: false })),
        ...project.fields.map((f) => ({ key: f.key, labelZh: f.labelZh, labelEn: f.labelEn, custom: true })),
      ],
      rows: out,
    };
  }

  /** Creates the import and runs it; `done` settles when it has completed or failed. */
  async start(
    actor: Principal,
    req: ImportRequest,
    onProgress?: (p: ImportProgress) => void,
  ): Promise<{ import: ImportRow; done: Promise<ImportRow> }> {
    const project = await this.prepare(actor, req.projectCode, req.filename);
    const totalBytes = await stat(req.path).then(
      (st) => {
        if (!st.isFile()) throw invalid(`${req.path} is not a file`, { field: 'file' });
        return st.size;
      },
      () => {
        throw invalid(`cannot read ${req.path}: no such file`, { field: 'file' });
      },
    );
    this.assertRoom(); // again: others may have started while the file was looked at
    this.running++;
    let imp: ImportRow;
    try {
      imp = await this.createImport(actor, project, req, totalBytes);
    } catch (err) {
      this.running--;
      throw err;
    }
    const removeUpload = async () => {
      if (!req.removeFileAfter) return;
      await unlink(req.path).catch((err: unknown) =>
        this.log.warn({ err, importId: imp.id, path: req.path }, 'removing an uploaded file after its import'),
      );
    };
    const done = (async () => {
      let failure: unknown;
      try {
        const row = await this.run(actor, imp, project.id, req, totalBytes, project, onProgress);
        await removeUpload();
        return row;
      } catch (err) {
        failure = err;
      }
      // The upload is gone before the failure is visible: whoever sees `failed` finds no file left.
      await removeUpload();
      return await this.recordFailure(actor, imp.id, failure);
    })().finally(() => this.running--);
    return { import: imp, done };
  }

  private async createImport(
    actor: Principal,
    project: { id: string; code: string },
    req: ImportRequest,
    totalBytes: number,
  ): Promise<ImportRow> {
    return this.repos.transaction(async (tx) => {
      const created = await tx.imports.create({
        orgId: actor.orgId,
        projectId: project.id,
        filename: req.filename,
        totalBytes,
        createdBy: actor.userId,
      });
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'import.started',
        subjectType: 'import',
        subjectId: created.id,
        details: { project: project.code, filename: req.filename, bytes: totalBytes },
      });
      return created;
    });
  }

  /** Marks the import failed with the error's code; if even that fails, the stale sweep will. */
  private async recordFailure(actor: Principal, importId: string, err: unknown): Promise<ImportRow> {
    const e =
      err instanceof ImportFileError
        ? { code: err.code, message: err.message, details: err.details }
        : { code: 'internal', message: err instanceof Error ? err.message : String(err) };
    // A file's own fault is the user's to read on the import; anything else is ours to see in the log.
    if (!(err instanceof ImportFileError) && !(err instanceof AppError))
      this.log.error({ err, importId }, 'an import failed');
    try {
      await this.repos.transaction(async (tx) => {
        await tx.imports.fail(importId, e, this.clock.now());
        await tx.audit.append({
          orgId: actor.orgId,
          actorUserId: actor.userId,
          action: 'import.failed',
          subjectType: 'import',
          subjectId: importId,
          details: e,
        });
        const row = await tx.imports.get(actor.orgId, importId);
        const project = row ? await tx.projects.getById(actor.orgId, row.projectId) : undefined;
        if (row) await tx.webhooks.enqueue([importFinished(actor.orgId, project?.code ?? null, row, this.clock.now())]);
      });
      return (await this.repos.imports.get(actor.orgId, importId))!;
    } catch (failure) {
      this.log.error(
        { err: failure, importId, cause: e },
        'recording an import as failed failed; the stale-import sweep will mark it',
      );
      const now = this.clock.now();
      return {
        id: importId,
        projectId: '',
        filename: '',
        format: null,
        encoding: null,
        status: 'failed',
        error: e,
        mapping: null,
        columns: null,
        totalBytes: null,
        bytesRead: 0,
        rowsRead: 0,
        imported: 0,
        duplicateInFile: 0,
        duplicateExisting: 0,
        dnc: 0,
        invalid: 0,
        createdBy: actor.userId,
        createdAt: now,
        updatedAt: now,
        finishedAt: now,
      };
    }
  }

  private async run(
    actor: Principal,
    imp: ImportRow,
    projectId: string,
    req: ImportRequest,
    totalBytes: number,
    project: {
      code: string;
      defaultRegion: string;
      defaultTimezone: string;
      fields: import('@outdial/domain/projects').FieldDef[];
    },
    onProgress?: (p: ImportProgress) => void,
  ): Promise<ImportRow> {
    let bytesRead = 0;
    let rowsRead = 0;
    const spec = {
      filename: req.filename,
      defaultRegion: project.defaultRegion,
      fields: project.fields,
      ...(req.mapping ? { mapping: req.mapping } : {}),
      encoding: req.encoding ?? 'auto',
      onProgress: (p: { bytesRead: number; rowsRead: number }) => {
        bytesRead = p.bytesRead;
        rowsRead = p.rowsRead;
      },
    } as const;
    // Large files, and every XLSX (unzipping and XML are CPU work whatever the file's size, and a
    // small file can unpack to a lot: ADR 0014), are parsed on a worker thread, beside this
    // thread's database work, so the event loop keeps answering.
    const parsed =
      totalBytes >= WORKER_MIN_BYTES || isXlsx(req.filename)
        ? parseContactFileInWorker(req.path, spec)
        : parseContactFile({ path: req.path }, spec);
    const header = await parsed.header;
    await this.repos.imports.setHeader(imp.id, {
      format: header.format,
      encoding: header.encoding,
      mapping: header.mapping,
      columns: header.columns,
    });

    const counts = { accepted: 0, duplicateInFile: 0, invalid: 0 };
    const writer = this.repos.imports.writer(actor.orgId, projectId, imp.id, this.clock.now());
    let batch: StagedRow[] = [];
    // Up to two writes in flight while the next batch is parsed: the parser, this thread and
    // the database work side by side (on PostgreSQL one batch is screened while the previous
    // one is copied). Progress is reported in order.
    const pending: Promise<void>[] = [];
    let reported: Promise<void> = Promise.resolve();
    const flush = async () => {
      const rows = batch;
      batch = [];
      if (pending.length >= 2) await pending.shift();
      const snapshot = { bytesRead, rowsRead, ...counts };
      const written = writer.write(rows);
      const prev = reported;
      const step = (async () => {
        await written;
        await prev;
        await this.repos.imports.progress(imp.id, snapshot);
        onProgress?.({ bytesRead: snapshot.bytesRead, totalBytes, rowsRead: snapshot.rowsRead });
      })();
      // Progress is reported in order: the next step waits for this one, failed or not; the
      // failure itself reaches the import through `pending` below.
      reported = step.catch(() => undefined);
      // Observed here so a failure while the next batch is parsed is not an unhandled
      // rejection; it is rethrown when this write is awaited.
      step.catch(() => undefined);
      pending.push(step);
    };
    let result: ImportRow;
    try {
      for await (const parsedBatch of parsed.batches) {
        for (const o of parsedBatch) {
          const s = toStaged(o);
          if (s.outcome === 'accepted') counts.accepted++;
          else if (s.outcome === 'invalid') counts.invalid++;
          else counts.duplicateInFile++;
          // Contacts keep the project's time zone when neither the row nor the number gave one.
          if (s.outcome === 'accepted' && !s.timezone) s.timezone = project.defaultTimezone;
          batch.push(s);
        }
        if (batch.length >= BATCH) {
          await flush();
          // Batches the parser thread sent ahead are already queued: without a turn of the event
          // loop here the next ones would be taken straight from the microtask queue, and a burst
          // of them kept requests waiting (~1 s at the start of a big import, ADR 0015).
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      await flush();
      for (const p of pending.splice(0)) await p;
      onProgress?.({ bytesRead: totalBytes, totalBytes, rowsRead });
      result = await writer.finish(this.clock.now());
    } catch (err) {
      await Promise.allSettled(pending);
      await writer.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    // The audit row and the import.finished message commit together (just after the merge's own commit).
    await this.repos.transaction(async (tx) => {
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'import.completed',
        subjectType: 'import',
        subjectId: imp.id,
        details: {
          imported: result.imported,
          duplicateInFile: result.duplicateInFile,
          duplicateExisting: result.duplicateExisting,
          dnc: result.dnc,
          invalid: result.invalid,
        },
      });
      await tx.webhooks.enqueue([importFinished(actor.orgId, project.code, result, this.clock.now())]);
    });
    return result;
  }

  async get(actor: Principal, id: string): Promise<ImportRow> {
    assertCan(actor, 'contacts:import');
    const imp = await this.repos.imports.get(actor.orgId, id);
    if (!imp) throw notFound('import');
    return imp;
  }

  async list(actor: Principal, projectCode: string, q: { limit: number; offset: number }) {
    assertCan(actor, 'contacts:import');
    const project = await this.repos.projects.getByCode(actor.orgId, projectCode);
    if (!project) throw notFound(`project "${projectCode}"`);
    return this.repos.imports.list(actor.orgId, project.id, q);
  }

  /** Removes an upload that will not be imported (a start that failed); one already gone is fine. */
  async discard(path: string): Promise<void> {
    try {
      await unlink(path);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
    }
  }

  /** The columns of an import that hold phone numbers (masked like every number). */
  private phoneColumns(imp: ImportRow): Set<string> {
    const m = imp.mapping ?? {};
    return new Set([m['phone'], m['phones']].filter((c): c is string => typeof c === 'string'));
  }

  /**
   * The rejected rows with their original cells. Phone cells are masked unless the reader may see
   * numbers; when they are shown in full, the view is audited like any other.
   */
  async rejects(
    actor: Principal,
    id: string,
    q: { outcome?: RowOutcome | undefined; limit: number; offset: number },
    meta: { ip?: string | undefined } = {},
  ) {
    const imp = await this.get(actor, id);
    const { items, total } = await this.repos.imports.rejects(imp.id, q);
    const unmasked = this.pii.unmasked(actor);
    const phones = this.phoneColumns(imp);
    if (unmasked && items.length > 0)
      await this.pii.shown(actor, {
        action: 'import.rejects_viewed',
        subjectType: 'import',
        subjectId: imp.id,
        details: { count: items.length, offset: q.offset },
        ip: meta.ip,
      });
    return {
      items: items.map((r) => ({
        rowNumber: r.rowNumber,
        outcome: r.outcome,
        code: r.code,
        message: this.pii.text(unmasked, r.message),
        raw: r.raw ? this.maskCells(r.raw, phones, unmasked) : null,
      })),
      total,
    };
  }

  private maskCells(raw: Record<string, string>, phones: Set<string>, unmasked: boolean): Record<string, string> {
    if (unmasked || phones.size === 0) return raw;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) out[k] = phones.has(k) && v ? maskDigits(v) : v;
    return out;
  }

  /**
   * Every rejected row as CSV (UTF-8 with BOM so Excel opens Chinese text): row number,
   * outcome, code, reason, then the row's original columns. Exporting personal data is audited.
   */
  async *rejectsCsv(actor: Principal, id: string, meta: { ip?: string | undefined } = {}): AsyncGenerator<string> {
    assertCan(actor, 'contacts:export');
    const imp = await this.get(actor, id);
    const mapping = imp.mapping ?? {};
    const first = await this.repos.imports.rejects(imp.id, { limit: 1, offset: 0 });
    await this.repos.audit.append({
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: 'import.rejects_exported',
      subjectType: 'import',
      subjectId: imp.id,
      details: { rows: first.total, unmasked: this.pii.unmasked(actor) },
      ip: meta.ip,
    });
    const columns = [
      ...new Set([...(imp.columns ?? []).map((c, i) => c || `column${i + 1}`), ...Object.values(mapping)]),
    ];
    const unmasked = this.pii.unmasked(actor);
    const phones = this.phoneColumns(imp);
    yield '\ufeff' + csvLine(['row', 'outcome', 'code', 'reason', ...columns]);
    const page = 5000;
    for (let after = 0; ;) {
      const items = await this.repos.imports.rejectsAfter(imp.id, after, page);
      if (items.length === 0) break;
      after = items[items.length - 1]!.rowNumber;
      let chunk = '';
      for (const r of items) {
        const fromParsed: Record<string, unknown> = {};
        if (!r.raw) {
          // Rows set aside at merge time kept their parsed values, not the raw cells.
          for (const [field, column] of Object.entries(mapping)) {
            if (field === 'phone') fromParsed[column] = r.phone && this.pii.phone(unmasked, r.phone);
            else if (field === 'name') fromParsed[column] = r.name;
            else if (field === 'tags') fromParsed[column] = r.tags?.join(',');
            else if (field === 'external_id') fromParsed[column] = r.externalId;
            else if (field === 'timezone') fromParsed[column] = r.timezone;
            else if (field === 'region') fromParsed[column] = r.region;
            else if (r.custom && field in r.custom) fromParsed[column] = r.custom[field];
          }
        }
        const raw = r.raw ? this.maskCells(r.raw, phones, unmasked) : null;
        const cells = columns.map((c) => (raw ? raw[c] : fromParsed[c]));
        chunk += csvLine([r.rowNumber, r.outcome, r.code, this.pii.text(unmasked, r.message), ...cells]);
      }
      yield chunk;
      if (items.length < page) break;
    }
  }
}

export function importFileError(err: ImportFileError): AppError {
  return new AppError('import_file_invalid', err.message, { code: err.code, details: err.details });
}
