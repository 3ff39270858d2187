import type { Dist } from './scenario.ts';

/**
 * Randomness for the simulator. Common random numbers: every number a lead needs is a pure
 * function of (seed, replication, lead index, purpose), so every policy meets the same
 * leads — the same outcome draw, ring time and talk time for the n-th dial — whatever
 * order it dials them in.
 */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform in (0, 1) for (a, b, c, d): a keyed hash, good enough for simulation. */
export function hashUniform(a: number, b: number, c: number, d: number): number {
  let h = mix32(a ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(b + 0x632be5ab, 0x27d4eb2f));
  h = mix32(h ^ Math.imul(c + 0x165667b1, 0x9e3779b1));
  h = mix32(h ^ Math.imul(d + 0x61c88647, 0x85ebca77));
  return (h + 0.5) / 4294967296;
}

/** A sequential generator (sfc32) for draws that are not tied to a lead. */
export function sfc32(seed: number): () => number {
  let a = mix32(seed ^ 0x12345678);
  let b = mix32(seed ^ 0x9abcdef0);
  let c = mix32(seed ^ 0x0fedcba9);
  let d = 1;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return () => {
    let u = next();
    while (u === 0) u = next();
    return u;
  };
}

/** Inverse standard normal CDF (Acklam), so a lognormal needs one uniform. */
function normalInv(p: number): number {
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - 0.02425) return -normalInv(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** A sampler turning one uniform into a draw of the distribution (inverse transform). */
export function sampler(d: Dist): (u: number) => number {
  switch (d.dist) {
    case 'constant':
      return () => d.mean;
    case 'exponential':
      return (u) => -Math.log(1 - u) * d.mean;
    case 'uniform':
      return (u) => d.min + (d.max - d.min) * u;
    case 'lognormal': {
      // mean m and coefficient of variation cv: σ² = ln(1 + cv²), μ = ln m − σ²/2.
      const s2 = Math.log(1 + d.cv * d.cv);
      const mu = Math.log(d.mean) - s2 / 2;
      const sigma = Math.sqrt(s2);
      return (u) => Math.exp(mu + sigma * normalInv(u));
    }
  }
}
