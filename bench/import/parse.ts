/**
 * Throughput of the contact-file parser alone (no database): decode GBK, split CSV, map
 * columns, normalise phones, coerce custom fields, dedupe in file. The end-to-end import
 * benchmark (bench/import/run.ts) adds staging, DNC scrub and merge on top of this, so this
 * number is the ceiling the import can reach.
 *
 *   node --import tsx bench/import/parse.ts [--rows 1000000] [--runs 3]
 *
 * The file is generated once under .tmp/ (git-ignored) with a fixed seed, so every run reads
 * the same bytes. Prints one JSON line on stdout; human-readable progress on stderr.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import type { FieldDef } from '@outdial/domain/projects';
import { parseContactFile } from '@outdial/importer';
import { sfc32 } from '@outdial/simulator';

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const ROWS = Number(arg('rows', '1000000'));
const RUNS = Number(arg('runs', '3'));
const DIR = join(process.cwd(), '.tmp');
const FILE = join(DIR, `bench-parse-${ROWS}.gbk.csv`);

const FIELDS: FieldDef[] = [
  { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true },
  { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
  { key: 'expiry', labelZh: '到期日', labelEn: 'Expiry', type: 'date', required: false },
  { key: 'tier', labelZh: '等级', labelEn: 'Tier', type: 'enum', required: false, options: ['金卡', '银卡', '普通'] },
  { key: 'vip', labelZh: '是否VIP', labelEn: 'VIP', type: 'boolean', required: false },
];

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂';
const PREFIXES = [
  '138',
  '139',
  '135',
  '136',
  '137',
  '150',
  '151',
  '152',
  '158',
  '159',
  '186',
  '187',
  '188',
  '177',
  '199',
];
const TIERS = ['金卡', '银卡', '普通'];
const AREAS = ['010', '021', '020', '0755', '0571', '028'];

/** Mixed formats as real lists have them; ~1% in-file duplicates, ~1% mistyped numbers. */
async function generate(): Promise<void> {
  if (existsSync(FILE)) return;
  mkdirSync(DIR, { recursive: true });
  const rand = sfc32(7);
  const tmp = `${FILE}.part`;
  const enc = iconv.encodeStream('gbk');
  const done = pipeline(enc, createWriteStream(tmp));
  const write = async (s: string): Promise<void> => {
    if (!enc.write(s)) await once(enc, 'drain');
  };
  await write('客户姓名,手机号码,备用电话,地区,标签,保单号,保费,到期日,等级,是否VIP\r\n');
  let batch = '';
  for (let i = 0; i < ROWS; i++) {
    let national = PREFIXES[i % PREFIXES.length]! + String(i).padStart(8, '0');
    const r = rand();
    if (r < 0.01 && i > 100) national = PREFIXES[(i - 50) % PREFIXES.length]! + String(i - 50).padStart(8, '0');
    const f = rand();
    let phone: string;
    if (r > 0.99) phone = national.slice(0, 10);
    else if (f < 0.55) phone = national;
    else if (f < 0.7) phone = `+86 ${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`;
    else if (f < 0.85) phone = `${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`;
    else if (f < 0.95) phone = `0086${national}`;
    else phone = `"(+86) ${national}"`;
    const name =
      SURNAMES[i % SURNAMES.length]! + GIVEN[(i * 7) % GIVEN.length]! + (i % 2 ? GIVEN[(i * 13) % GIVEN.length]! : '');
    const backup =
      i % 10 === 0 ? `${AREAS[i % AREAS.length]}-${6 + (i % 3)}${String(i % 10_000_000).padStart(7, '0')}` : '';
    const tags = i % 3 === 0 ? '"高价值,续保"' : i % 3 === 1 ? '普通' : '';
    batch += `${name},${phone},${backup},北京,${tags},P${i},"${((i % 9000) + 800).toLocaleString('en-US')}.00",2026/${(i % 12) + 1}/${(i % 28) + 1},${TIERS[i % 3]},${i % 2 ? '是' : '否'}\r\n`;
    if (batch.length > 256 * 1024) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch);
  enc.end();
  await done;
  renameSync(tmp, FILE);
}

async function once_(): Promise<{
  seconds: number;
  counts: Record<string, number>;
  codes: Record<string, number>;
  peakRssMB: number;
  encoding: string;
}> {
  const t0 = performance.now();
  let peak = 0;
  const parsed = parseContactFile(createReadStream(FILE, { highWaterMark: 256 * 1024 }), {
    filename: 'bench.csv',
    defaultRegion: 'CN',
    fields: FIELDS,
    onProgress: () => {
      peak = Math.max(peak, process.memoryUsage.rss());
    },
  });
  const header = await parsed.header;
  const counts: Record<string, number> = {};
  const codes: Record<string, number> = {};
  for await (const r of parsed.rows) {
    counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    if (r.kind === 'invalid') codes[r.code] = (codes[r.code] ?? 0) + 1;
  }
  return {
    seconds: (performance.now() - t0) / 1000,
    counts,
    codes,
    peakRssMB: Math.round(peak / 1e6),
    encoding: header.encoding,
  };
}

async function main(): Promise<void> {
  const g0 = performance.now();
  await generate();
  const bytes = statSync(FILE).size;
  console.error(
    `file: ${FILE} (${(bytes / 1e6).toFixed(1)} MB, ${ROWS} rows, GBK) ready in ${((performance.now() - g0) / 1000).toFixed(1)} s`,
  );
  const runs = [];
  for (let k = 0; k < RUNS; k++) {
    const r = await once_();
    console.error(
      `run ${k + 1}: ${Math.round(ROWS / r.seconds).toLocaleString('en-US')} rows/s (${r.seconds.toFixed(2)} s, ${(bytes / 1e6 / r.seconds).toFixed(1)} MB/s, peak RSS ${r.peakRssMB} MB) ${JSON.stringify(r.counts)} ${JSON.stringify(r.codes)}`,
    );
    runs.push(r);
  }
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  console.log(
    JSON.stringify({
      rows: ROWS,
      megabytes: +(bytes / 1e6).toFixed(1),
      encoding: best.encoding,
      node: process.version,
      bestSeconds: +best.seconds.toFixed(2),
      rowsPerSecond: Math.round(ROWS / best.seconds),
      allRowsPerSecond: runs.map((r) => Math.round(ROWS / r.seconds)),
      outcomes: best.counts,
      invalidCodes: best.codes,
      peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
    }),
  );
}

await main();
