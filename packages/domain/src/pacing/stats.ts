/** Small online estimators used by the predictive policy. Pure, allocation-light. */

/** Number of values ≤ x in an ascending array (binary search). */
export function upperBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A sliding window of the last `size` samples, kept sorted for quantile and tail counts. */
export class SortedWindow {
  private readonly ring: number[] = [];
  private next = 0;
  private readonly sorted: number[] = [];
  private sum = 0;
  constructor(private readonly size: number) {}

  get count(): number {
    return this.sorted.length;
  }

  get mean(): number {
    return this.sorted.length ? this.sum / this.sorted.length : NaN;
  }

  /** The samples, ascending (a view: do not modify). */
  get values(): readonly number[] {
    return this.sorted;
  }

  add(x: number): void {
    if (this.ring.length < this.size) {
      this.ring.push(x);
    } else {
      const old = this.ring[this.next]!;
      this.ring[this.next] = x;
      this.next = (this.next + 1) % this.size;
      this.sorted.splice(this.lowerBound(old), 1);
      this.sum -= old;
    }
    this.sorted.splice(this.upperBound(x), 0, x);
    this.sum += x;
  }

  /** Number of samples < x. */
  lowerBound(x: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Number of samples ≤ x. */
  upperBound(x: number): number {
    return upperBound(this.sorted, x);
  }

  /** P(X ≤ x), empirical. */
  cdf(x: number): number {
    return this.sorted.length ? this.upperBound(x) / this.sorted.length : 0;
  }

  quantile(q: number): number {
    if (!this.sorted.length) return NaN;
    return this.sorted[Math.min(this.sorted.length - 1, Math.max(0, Math.floor(q * this.sorted.length)))]!;
  }

  /** P(X ≤ e + h | X > e): the chance something that has lasted e ends within h more. */
  endsWithin(e: number, h: number): number {
    const n = this.sorted.length;
    const longer = n - this.upperBound(e);
    if (longer === 0) return 1; // lasted longer than anything seen: assume it ends soon
    return (this.upperBound(e + h) - (n - longer)) / longer;
  }
}

/** Exponentially weighted rate of a yes/no event, with a prior that fades as data arrives. */
export class EwmaRate {
  private value: number;
  constructor(
    prior: number,
    private readonly alpha: number,
  ) {
    this.value = prior;
  }
  add(yes: boolean): void {
    this.value += this.alpha * ((yes ? 1 : 0) - this.value);
  }
  get rate(): number {
    return this.value;
  }
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf), |error| < 1.5e-7. */
export function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Inverse standard normal CDF (Acklam's rational approximation, rel. error < 1.2e-9). */
export function normalInv(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
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
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalInv(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
