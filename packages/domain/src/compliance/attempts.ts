/** A call attempt as the compliance rules see it. */
export type AttemptOutcome = 'person' | 'machine' | 'no_answer' | 'busy' | 'failed' | 'abandoned' | 'cancelled';

export interface AttemptRecord {
  phone: string;
  /** ms since epoch */
  placedAt: number;
  /** null while the call is still live. */
  outcome: AttemptOutcome | null;
}
