/**
 * A zip bomb in an XLSX (issue 9): a small file whose worksheet (or shared-strings table)
 * unpacks to one huge cell. Generates the file once under .tmp/, parses it as an upload is
 * parsed, and prints what happened, the time and this process's peak RSS (the OS's maxrss,
 * so a peak reached while the event loop was blocked is counted too).
 *
 *   node --import tsx bench/import/xlsx-bomb.ts [--cell-mb 400] [--where sheet|shared] [--reader outdial|exceljs]
 *
 * `--reader exceljs` runs exceljs's streaming WorkbookReader (what the importer used before
 * ADR 0014) over the same file, for comparison. One JSON line on stdout.
 */
import { existsSync, mkdirSync, statSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { parseContactFile } from '@outdial/importer';
import {
  framed,
  repeated,
  row,
  sharedStringsXml,
  writeXlsxFile,
} from '../../packages/importer/src/xlsx-test-support.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const CELL_MB = Number(arg('cell-mb', '400'));
const WHERE = arg('where', 'sheet');
const READER = arg('reader', 'outdial');
const DIR = join(process.cwd(), '.tmp');
const FILE = join(DIR, `xlsx-bomb-${WHERE}-${CELL_MB}.xlsx`);

async function generate() {
  if (existsSync(FILE)) return;
  mkdirSync(DIR, { recursive: true });
  const bytes = CELL_MB * 1_000_000;
  const head = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${row(1, ['手机号', '姓名'])}`;
  if (WHERE === 'sheet') {
    await writeXlsxFile(FILE, {
      level: 9,
      sheet: framed(
        `${head}<row r="2"><c r="A2"><v>13800000000</v></c><c r="B2" t="inlineStr"><is><t>`,
        repeated('A', bytes),
        '</t></is></c></row></sheetData></worksheet>',
      ),
    });
  } else {
    const sst = sharedStringsXml(['X']).replace('<si><t>X</t></si>', '');
    const [open, close] = [sst.slice(0, sst.lastIndexOf('</sst>')), '</sst>'];
    await writeXlsxFile(FILE, {
      level: 9,
      sheet: `${head}<row r="2"><c r="A2"><v>13800000000</v></c><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>`,
      sharedStrings: framed(`${open}<si><t>`, repeated('A', bytes), `</t></si>${close}`),
    });
  }
}

async function main() {
  await generate();
  const size = statSync(FILE).size;
  const t0 = performance.now();
  let outcome: string;
  try {
    if (READER === 'exceljs') {
      // The importer's reader before ADR 0014, with the same options.
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(createReadStream(FILE), {
        sharedStrings: 'cache',
        hyperlinks: 'cache',
        styles: 'cache',
        worksheets: 'emit',
        entries: 'ignore',
      });
      let rows = 0;
      let longest = 0;
      for await (const sheet of reader) {
        for await (const r of sheet as AsyncIterable<ExcelJS.Row>) {
          rows++;
          for (const v of r.values as unknown[]) if (typeof v === 'string') longest = Math.max(longest, v.length);
        }
        break;
      }
      outcome = `read ${rows} rows; longest cell ${longest} characters`;
    } else {
      const parsed = parseContactFile(createReadStream(FILE), {
        filename: 'bomb.xlsx',
        defaultRegion: 'CN',
        fields: [],
      });
      let rows = 0;
      for await (const b of parsed.batches) rows += b.length;
      outcome = `read ${rows} rows`;
    }
  } catch (err) {
    const e = err as { code?: string; message?: string };
    outcome = `refused: ${e.code ?? 'error'}: ${e.message}`;
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      file: FILE,
      fileKB: Math.round(size / 1024),
      unpackedCellMB: CELL_MB,
      where: WHERE,
      reader: READER,
      outcome,
      seconds: +seconds.toFixed(2),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

await main();
