import { describe, expect, it } from 'vitest';
import { en } from './en.ts';
import { zh } from './zh.ts';

type Tree = { [k: string]: string | Tree };
function leaves(t: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

describe('web translations', () => {
  const e = leaves(en);
  const z = leaves(zh);
  it('have the same keys in Chinese and English, none empty', () => {
    expect([...z.keys()].sort()).toEqual([...e.keys()].sort());
    for (const [k, v] of [...e, ...z]) expect(v.trim(), k).not.toBe('');
  });
  it('keep the same placeholders in both languages', () => {
    const vars = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of e) expect(vars(z.get(k) ?? ''), k).toEqual(vars(v));
  });
  it('translate: the Chinese text differs from the English one except for names and formats', () => {
    const same = [...e].filter(([k, v]) => z.get(k) === v).map(([k]) => k);
    expect(
      same.filter((k) => !/^(webhooks\.|import\.encodings\.(utf8|gb18030)|errors\.generic|nav\.webhooks)/.test(k)),
    ).toEqual([]);
  });
});
