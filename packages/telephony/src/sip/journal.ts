import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DialogState } from './ua.ts';

/**
 * The dialogs this process has up, one small file per call leg, so that after a crash the next
 * start can end them (BYE) instead of leaving customers and agents on a silent line. Written
 * when a leg is answered (atomically: temp file, then rename), removed when it ends.
 */
export class DialogJournal {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(key: string): string {
    return join(this.dir, `${key.replace(/[^A-Za-z0-9_.@-]/g, '_')}.json`);
  }

  write(key: string, d: DialogState & { rtpCallId: string | null }): void {
    const p = this.path(key);
    writeFileSync(`${p}.tmp`, JSON.stringify(d));
    renameSync(`${p}.tmp`, p);
  }

  remove(key: string): void {
    rmSync(this.path(key), { force: true });
  }

  /** Every leg left behind; a file that does not parse is reported and skipped. */
  leftovers(
    onBad: (file: string, err: unknown) => void,
  ): { key: string; dialog: DialogState & { rtpCallId: string | null } }[] {
    const out: { key: string; dialog: DialogState & { rtpCallId: string | null } }[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push({
          key: f.slice(0, -5),
          dialog: JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as DialogState & { rtpCallId: string | null },
        });
      } catch (err) {
        onBad(f, err);
      }
    }
    return out;
  }
}
