/**
 * Tone measurement for tests and AMD tuning: the share of a signal's energy at one frequency
 * (Goertzel), over the whole signal or per window.
 */
export function goertzelShare(samples: Int16Array, rate: number, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const k = Math.round((n * freq) / rate);
  const w = (2 * Math.PI * k) / n;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    total += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // Parseval: a pure tone at the bin puts n/2 · Σx² into it.
  return total === 0 ? 0 : power / ((n / 2) * total);
}

/** Seconds (in 100 ms windows) where `freq` carries at least `share` of a window's energy and the window is not silent. */
export function toneSeconds(samples: Int16Array, rate: number, freq: number, share = 0.5, minRms = 300): number {
  const win = Math.round(rate / 10);
  let hits = 0;
  for (let o = 0; o + win <= samples.length; o += win) {
    const w = samples.subarray(o, o + win);
    let e = 0;
    for (let i = 0; i < w.length; i++) e += w[i]! * w[i]!;
    if (Math.sqrt(e / w.length) < minRms) continue;
    if (goertzelShare(w, rate, freq) >= share) hits++;
  }
  return hits / 10;
}
