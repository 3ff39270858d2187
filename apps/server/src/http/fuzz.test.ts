import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { DEMO_CAMPAIGN, DEMO_PROJECT } from '../demo.ts';
import { harness, type Harness } from './testing/harness.ts';

/**
 * The attack as a test: requests generated from the OpenAPI document itself — valid ones, and
 * ones bent every way a hostile client bends them (wrong types, missing and unknown properties,
 * NUL and unpaired surrogates, huge numbers, "1e999", long strings, path traversal) — sent to
 * every operation as every role, anonymously and as another organisation. Nothing may answer
 * 5xx, every 4xx has the documented error shape, and the server is healthy at the end.
 * OUTDIAL_FUZZ_RUNS sets the requests per operation (default 40).
 */
const RUNS = Number(process.env['OUTDIAL_FUZZ_RUNS'] ?? 40);

type Schema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  $ref?: string;
};
interface Parameter {
  in: 'query' | 'path' | 'header';
  name: string;
  required?: boolean;
  schema: Schema;
}
interface OperationDoc {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '1e999',
  '-1',
  '99999999999999999999',
  'NaN',
  'null',
  "'; DROP TABLE contacts; --",
  '../../../../etc/passwd',
  '%00',
  '<script>alert(1)</script>',
  '=1+1',
  '１３８１２３４５６７８',
  '\u202e\u0041',
  'x'.repeat(5000),
];
const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1e308, 2 ** 63, Number.MAX_SAFE_INTEGER + 2),
  hostileString,
  fc.string(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 }),
  fc.integer({ min: 60, max: 300 }).map((n) => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`) as unknown),
  fc.integer({ min: 60, max: 300 }).map((n) => JSON.parse(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) as unknown),
);

/** A value the schema accepts (mostly; the server's own rules may still refuse it). */
function valid(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => valid(a, depth)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      if (s.format === 'uuid') return fc.uuid();
      if (s.format === 'date-time')
        return fc
          .date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString());
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 20, 40) });
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 100_000, 100_000) });
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 1e6, 1e6), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 3
        ? fc.constant([])
        : fc.array(valid(s.items ?? {}, depth + 1), {
            minLength: s.minItems ?? 0,
            maxLength: Math.min(s.maxItems ?? 3, 3),
          });
    case 'object': {
      if (depth > 3) return fc.constant({});
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = valid(v, depth + 1);
      const base = fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
      if (typeof s.additionalProperties === 'object')
        return fc
          .tuple(
            base,
            fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), valid(s.additionalProperties, depth + 1), {
              maxKeys: 2,
            }),
          )
          .map(([a, b]) => ({ ...b, ...a }));
      return base;
    }
    default:
      return anyJson;
  }
}

/** A value bent the ways attackers bend them: often invalid, sometimes subtly. */
function bent(s: Schema): fc.Arbitrary<unknown> {
  const mutateObject = (v: unknown): fc.Arbitrary<unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fc.constant(v);
    const keys = Object.keys(v);
    return fc.oneof(
      fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), anyJson).map(([k, x]) => ({ ...v, [k]: x })),
      keys.length
        ? fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(v).filter(([x]) => x !== k)))
        : fc.constant(v),
      keys.length ? fc.tuple(fc.constantFrom(...keys), anyJson).map(([k, x]) => ({ ...v, [k]: x })) : fc.constant(v),
      keys.length
        ? fc.tuple(fc.constantFrom(...keys), hostileString).map(([k, x]) => ({ ...v, [k]: x }))
        : fc.constant(v),
    );
  };
  return fc.oneof(
    { weight: 3, arbitrary: valid(s) },
    { weight: 4, arbitrary: valid(s).chain(mutateObject) },
    { weight: 2, arbitrary: anyJson },
    { weight: 1, arbitrary: hostileString },
  );
}

/** Percent-encodes what URLs can carry; an unpaired surrogate goes as the invalid UTF-8 bytes a client could send. */
function encode(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return v.replace(/[\ud800-\udfff]/g, '%ED%A0%80').replace(/[^%]/g, (c) => encodeURIComponent(c));
  }
}

function queryString(q: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) parts.push(`${encode(k)}=${encode(typeof x === 'string' ? x : JSON.stringify(x))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

describe.each(testDatabases())('fuzzing every operation from the OpenAPI document on $name', (engine) => {
  let h: Harness;
  let doc: { paths: Record<string, Record<string, OperationDoc>> };
  const fixtures: Record<string, string[]> = {};
  let tried = 0;
  const perOp = new Map<string, number>();

  beforeAll(async () => {
    h = await harness(engine);
    doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<typeof doc>();
    const admin = await h.login('admin');
    const get = async (url: string) =>
      (
        await h.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${admin}` } })
      ).json<{
        items?: { id: string; name?: string }[];
      }>();
    const campaign = (await get('/campaigns')).items!.find((c) => c.name === DEMO_CAMPAIGN)!.id;
    const contact = (await get(`/projects/${DEMO_PROJECT}/contacts?pageSize=1`)).items![0]!.id;
    const lists = (await get('/dnc/lists')) as unknown as { id: string }[];
    // Real identifiers beside random ones, so generated requests reach past the 404s.
    fixtures['id'] = [campaign, contact, lists[0]!.id];
    fixtures['code'] = [DEMO_PROJECT];
    const otherOrg = await h.platform.repos.users.createOrganisation('Fuzz Other');
    await h.platform.services.users.create(null, otherOrg, {
      username: 'fuzz-other',
      role: 'admin',
      password: 'fuzz-other-pass-7',
    });
  }, 180_000);

  afterAll(async () => {
    console.log(`fuzz (${engine.name}): ${tried} requests over ${perOp.size} operations`);
    await h?.close();
  });

  const operations = (): [string, string, OperationDoc][] => {
    const out: [string, string, OperationDoc][] = [];
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods)) out.push([path, method.toUpperCase(), op]);
    return out;
  };

  it('answers no request with a 5xx, every 4xx in the error shape, and stays healthy', async () => {
    const problems: string[] = [];
    for (const [path, method, op] of operations()) {
      // Fresh sessions per operation: fuzzing logout or a role change must not starve the next one.
      const tokens = [
        undefined,
        await h.login('admin'),
        await h.login('supervisor'),
        await h.login('qa'),
        await h.login('agent01'),
        await h.login('fuzz-other', 'fuzz-other-pass-7'),
        'not-a-token',
      ];
      const params = op.parameters ?? [];
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const pathParams = params.filter((p) => p.in === 'path');
      const queryParams = params.filter((p) => p.in === 'query');
      const request = fc.record({
        token: fc.constantFrom(...tokens),
        path: fc.record(
          Object.fromEntries(
            pathParams.map((p) => [
              p.name,
              fc.oneof(fc.constantFrom(...(fixtures[p.name] ?? ['x'])), valid(p.schema).map(String), hostileString),
            ]),
          ),
        ),
        query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, bent(p.schema)])), {
          requiredKeys: [],
        }),
        body: bodySchema ? fc.option(bent(bodySchema), { nil: undefined, freq: 8 }) : fc.constant(undefined),
        raw: fc.option(fc.constantFrom('{', '{"a":', '[]', 'null', '"x"', '\u0000'), { nil: undefined, freq: 10 }),
        ip: fc.ipV4(),
      });
      await fc
        .assert(
          fc.asyncProperty(request, async (r) => {
            let url = path;
            for (const [k, v] of Object.entries(r.path)) url = url.replace(`{${k}}`, encode(v));
            url += queryString(r.query);
            const payload = r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body));
            tried++;
            perOp.set(op.operationId, (perOp.get(op.operationId) ?? 0) + 1);
            const res = await h.app.inject({
              method: method as 'GET',
              url,
              remoteAddress: r.ip,
              headers: {
                ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
                ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
              },
              ...(payload !== undefined ? { payload } : {}),
            });
            const label = `${op.operationId} ${method} ${url.slice(0, 200)} body=${(payload ?? '').slice(0, 200)}`;
            if (res.statusCode >= 500) problems.push(`${res.statusCode} ${label}: ${res.body.slice(0, 300)}`);
            else if (res.statusCode >= 400) {
              let body: { error?: { code?: unknown; message?: unknown } };
              try {
                body = res.json();
              } catch {
                body = {};
              }
              if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string')
                problems.push(`${res.statusCode} without the error shape: ${label}: ${res.body.slice(0, 200)}`);
            }
            return problems.length < 20;
          }),
          { numRuns: RUNS, seed: Number(process.env['OUTDIAL_FUZZ_SEED'] ?? 20261201) },
        )
        .catch((err: unknown) => {
          // A property that threw (a 5xx it found is in the list already, with its request).
          if (problems.length === 0) problems.push(`${op.operationId}: ${String(err).slice(0, 600)}`);
        });
    }
    expect(problems).toEqual([]);
    expect(tried).toBeGreaterThan(operations().length * Math.min(RUNS, 10));
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  }, 900_000);
});

describe('the OpenAPI document', () => {
  it('lints clean with Redocly, with an operationId and documented 4xx errors on every operation', async () => {
    const [engine] = testDatabases();
    const h = await harness(engine!);
    try {
      const doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
        info: { license?: unknown };
        paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
      }>();
      expect(doc.info.license).toBeDefined();
      for (const [path, methods] of Object.entries(doc.paths))
        for (const [method, op] of Object.entries(methods)) {
          expect(op.operationId, `${method} ${path}`).toMatch(/^[a-zA-Z]+$/);
          expect(
            Object.keys(op.responses).some((s) => s.startsWith('4')),
            `${method} ${path} documents a 4xx`,
          ).toBe(true);
        }
      const dir = mkdtempSync(join(tmpdir(), 'outdial-openapi-'));
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const run = promisify(execFile);
      const out = await run(process.execPath, [redoclyCli(), 'lint', file, '--format=json'], {
        maxBuffer: 64 * 1024 * 1024,
      }).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }));
      const report = JSON.parse(out.stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
      expect(report.problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      await h.close();
    }
  }, 180_000);
});

/** The Redocly CLI's entry script, from this workspace's node_modules. */
function redoclyCli(): string {
  return join(process.cwd(), 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
}
