/** A binary min-heap of events by time; ties keep insertion order, so runs are reproducible. */
export interface SimEvent {
  t: number;
  seq: number;
  kind: number;
  id: number;
  gen: number;
}

export class EventHeap {
  private readonly a: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.a.length;
  }

  push(t: number, kind: number, id = 0, gen = 0): void {
    const e: SimEvent = { t, seq: this.seq++, kind, id, gen };
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = a[p]!;
      if (q.t < e.t || (q.t === e.t && q.seq < e.seq)) break;
      a[i] = q;
      i = p;
    }
    a[i] = e;
  }

  pop(): SimEvent | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (!top || !last || a.length === 0) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (a[r]!.t < a[l]!.t || (a[r]!.t === a[l]!.t && a[r]!.seq < a[l]!.seq))) c = r;
      const child = a[c]!;
      if (last.t < child.t || (last.t === child.t && last.seq < child.seq)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
