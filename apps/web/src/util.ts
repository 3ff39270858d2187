import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** Text in the user's language from a {zh, en} pair, falling back to the other one. */
export function useLocal() {
  const { i18n } = useTranslation();
  const zh = i18n.language === 'zh-CN';
  return {
    zh,
    text: (t: { zh?: string; en?: string } | null | undefined) => (t ? ((zh ? t.zh : t.en) ?? t.zh ?? t.en ?? '') : ''),
    label: (x: { labelZh: string; labelEn: string }) => (zh ? x.labelZh : x.labelEn),
  };
}

/** Re-renders every `ms` and returns the current time (timers, "in state for"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** 75 s → "01:15", 3,700 s → "1:01:40". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function dateTime(iso: string | number | Date | null | undefined): string {
  if (iso === null || iso === undefined) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
