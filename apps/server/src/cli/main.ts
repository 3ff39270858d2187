import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { AppError, isRole } from '@outdial/engine';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openPlatform } from '../platform.ts';
import { serve } from '../serve.ts';
import { consolePrincipal } from '../console-principal.ts';
import { registerQuestionnaireCommands } from './questionnaire.ts';

/** What a command tells the person running it (results, progress); logs go through the logger. */
const log = (msg: string) => process.stderr.write(`${msg}\n`);

function collectMap(value: string, prev: Record<string, string>): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0 || i === value.length - 1) throw new InvalidArgumentError(`expected field=column, got "${value}"`);
  return { ...prev, [value.slice(0, i).trim()]: value.slice(i + 1).trim() };
}

async function withPlatform<T>(fn: (p: Awaited<ReturnType<typeof openPlatform>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const platform = await openPlatform(config, { logger: createLogger(config.logLevel, undefined, config.logFormat) });
  try {
    return await fn(platform);
  } finally {
    await platform.close();
  }
}

const program = new Command('outdial')
  .description('Outdial — outbound contact-centre platform (外呼平台)')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the server (embedded database in ./data unless DATABASE_URL is set)')
  .option('--demo', 'on first start, create a demo organisation, users, project and 1,000 contacts')
  .action(async (o: { demo?: boolean }) => {
    const config = loadConfig();
    await serve(config, {
      demo: Boolean(o.demo),
      logger: createLogger(config.logLevel, undefined, config.logFormat),
      say: log,
      handleSignals: true,
    });
  });

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    await withPlatform(async () => log('database is up to date'));
  });

program
  .command('import')
  .description('import a contact list (CSV in UTF-8/GBK/GB18030, or XLSX) into a project')
  .argument('<file>', 'the file')
  .requiredOption('--project <code>', 'project code')
  .option(
    '--map <field=column>',
    'map a field to a column header (repeatable): phone, name, phones, tags, timezone, region, external_id or a custom field key',
    collectMap,
    {},
  )
  .option('--encoding <enc>', 'auto (default), utf8 or gb18030')
  .option('--as <username>', 'act as this user (default: the first admin)')
  .option('--json', 'print the result as JSON')
  .action(
    async (
      file: string,
      o: { project: string; map: Record<string, string>; encoding?: string; as?: string; json?: boolean },
    ) => {
      if (o.encoding && !['auto', 'utf8', 'gb18030'].includes(o.encoding))
        throw new InvalidArgumentError('--encoding is auto, utf8 or gb18030');
      await withPlatform(async ({ services, repos }) => {
        const actor = await consolePrincipal(repos, o.as);
        const bar =
          o.json || !process.stderr.isTTY
            ? undefined
            : new SingleBar(
                { format: 'importing |{bar}| {percentage}% | {rows} rows | {eta_formatted}', hideCursor: true },
                Presets.shades_classic,
              );
        let lastLog = 0;
        const { import: imp, done } = await services.imports.start(
          actor,
          {
            projectCode: o.project,
            path: file,
            filename: basename(file),
            mapping: Object.keys(o.map).length ? o.map : undefined,
            encoding: o.encoding as 'auto' | 'utf8' | 'gb18030' | undefined,
          },
          (p) => {
            const total = p.totalBytes ?? 1;
            if (bar) {
              if (!bar.isActive) bar.start(total, 0, { rows: 0 });
              bar.update(p.bytesRead, { rows: p.rowsRead });
            } else if (!o.json && Date.now() - lastLog > 2000) {
              lastLog = Date.now();
              log(`… ${Math.round((100 * p.bytesRead) / total)}% read, ${p.rowsRead} rows`);
            }
          },
        );
        const r = await done;
        bar?.stop();
        if (o.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
        } else if (r.status === 'completed') {
          log(
            `import ${imp.id} completed: ${r.rowsRead} rows — ${r.imported} imported, ${r.duplicateInFile} duplicate in file, ${r.duplicateExisting} already in project, ${r.dnc} do-not-call, ${r.invalid} invalid`,
          );
          const rejects = await services.imports.rejects(actor, imp.id, { limit: 20, offset: 0 });
          for (const x of rejects.items) log(`  row ${x.rowNumber}: ${x.outcome} — ${x.message ?? x.code}`);
          if (rejects.total > rejects.items.length)
            log(`  … ${rejects.total - rejects.items.length} more: GET /api/v1/imports/${imp.id}/rejects.csv`);
        } else {
          log(`import failed (${r.error?.code}): ${r.error?.message}`);
        }
        if (r.status !== 'completed') process.exitCode = 1;
      });
    },
  );

const dnc = program.command('dnc').description('do-not-call lists');
dnc
  .command('add')
  .description("add numbers to the organisation-wide list (or a project's)")
  .argument('<phones...>', 'numbers in any format')
  .option('--project <code>', "the project's own list")
  .option('--reason <text>', 'why')
  .option('--expires <date>', 'ISO date when the entry lapses (default: never)')
  .action(async (phones: string[], o: { project?: string; reason?: string; expires?: string }) => {
    const expiresAt = o.expires ? new Date(o.expires) : null;
    if (expiresAt && Number.isNaN(expiresAt.getTime()))
      throw new InvalidArgumentError('--expires is a date like 2027-06-30');
    await withPlatform(async ({ services, repos }) => {
      const actor = await consolePrincipal(repos);
      const r = await services.dnc.add(actor, actor.orgId, {
        phones,
        projectCode: o.project,
        reason: o.reason,
        expiresAt,
        source: 'cli',
      });
      log(`${r.added} added`);
      for (const x of r.rejected) log(`  rejected "${x.input}": ${x.message}`);
      if (r.rejectedTotal > r.rejected.length) log(`  … and ${r.rejectedTotal - r.rejected.length} more`);
      if (r.rejectedTotal) process.exitCode = 1;
    });
  });
dnc
  .command('import')
  .description('add every number of a file (one per line, or a CSV with a phone column)')
  .argument('<file>')
  .option('--project <code>', "the project's own list")
  .option('--reason <text>', 'why')
  .action(async (file: string, o: { project?: string; reason?: string }) => {
    await withPlatform(async ({ services, repos }) => {
      const actor = await consolePrincipal(repos);
      const text = readFileSync(file, 'utf8').replace(/^\ufeff/, '');
      const lines = text
        .split(/\r?\n/)
        .map((l) => l.split(/[,;\t]/)[0]!.trim())
        .filter(Boolean);
      // A header line ("phone", "手机号") is not a number: skip it rather than report it.
      if (lines.length && !/\d{5}/.test(lines[0]!)) lines.shift();
      const r = await services.dnc.add(actor, actor.orgId, {
        phones: lines,
        projectCode: o.project,
        reason: o.reason,
        source: `file:${basename(file)}`,
      });
      log(`${r.added} added from ${lines.length} lines`);
      for (const x of r.rejected.slice(0, 50)) log(`  rejected "${x.input}": ${x.message}`);
      if (r.rejectedTotal > 50) log(`  … and ${r.rejectedTotal - 50} more`);
    });
  });

const users = program.command('users').description('users');
users
  .command('add')
  .description('create a user (the first one also creates the organisation)')
  .requiredOption('--username <name>')
  .requiredOption('--role <role>', 'admin, supervisor, qa or agent')
  .requiredOption('--password <password>', 'at least 8 characters')
  .option('--display-name <name>')
  .option('--org-name <name>', 'name of the organisation when none exists yet', 'Outdial')
  .action(async (o: { username: string; role: string; password: string; displayName?: string; orgName: string }) => {
    if (!isRole(o.role)) throw new InvalidArgumentError('--role is admin, supervisor, qa or agent');
    const role = o.role;
    await withPlatform(async ({ services, repos }) => {
      const org = await repos.users.firstOrganisation();
      const orgId = org?.id ?? (await repos.users.createOrganisation(o.orgName));
      const u = await services.users.create(null, orgId, {
        username: o.username,
        displayName: o.displayName,
        role,
        password: o.password,
      });
      log(`user ${u.username} (${u.role}) created`);
    });
  });

registerQuestionnaireCommands(program, (code) =>
  withPlatform(async ({ services, repos }) => {
    const actor = await consolePrincipal(repos);
    return services.questionnaires.checkContext(actor, code);
  }),
);

const bench = program.command('bench').description('benchmarks');
bench
  .command('pacing')
  .description('run the pacing benchmark on a scenario file (see shared/bench/pacing/README.md)')
  .option('--scenario <file>', 'scenario JSON')
  .option('--random <n>', 'instead: n scenarios generated at random (see --seed)', (v) => Number(v))
  .option('--seed <s>', "the random set's seed (or override the scenario's)", (v) => Number(v))
  .option('--threads <n>', 'worker threads (default: one per core)', (v) => Number(v))
  .option('--strict', 'with --random: exit 1 unless predictive is the best eligible policy on every scenario')
  .option('--policy <name...>', 'policies to run (default: all)')
  .option('--quick', 'fewer replications and days (CI smoke run)')
  .option('--replications <n>', "override the scenario's replications", (v) => Number(v))
  .option('--days <n>', 'override the number of days', (v) => Number(v))
  .option('--json', 'print one JSON object')
  .action(
    async (o: {
      scenario?: string;
      random?: number;
      seed?: number;
      threads?: number;
      strict?: boolean;
      policy?: string[];
      quick?: boolean;
      replications?: number;
      days?: number;
      json?: boolean;
    }) => {
      const { runPacingBenchCli } = await import('@outdial/simulator');
      await runPacingBenchCli(
        {
          ...(o.scenario ? { scenario: o.scenario } : {}),
          ...(o.random !== undefined ? { random: o.random } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          ...(o.threads ? { threads: o.threads } : {}),
          ...(o.strict ? { strict: true } : {}),
          ...(o.policy ? { policies: o.policy } : {}),
          ...(o.quick ? { quick: true } : {}),
          ...(o.json ? { json: true } : {}),
          ...(o.replications ? { replications: o.replications } : {}),
          ...(o.days ? { days: o.days } : {}),
        },
        (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
      );
    },
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) log(err.message);
  else if (err instanceof AppError)
    log(`error (${err.code}): ${err.message}${err.details ? `\n${JSON.stringify(err.details, null, 2)}` : ''}`);
  else log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
