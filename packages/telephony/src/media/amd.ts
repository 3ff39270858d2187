/**
 * Answering-machine detection on the first seconds of an answered call's audio, behind an
 * interface so a better detector (a model, a media server's own) can replace it.
 *
 * The energy/cadence detector here: 20 ms frames, speech where the frame's level is well above
 * the noise floor. A person answers with a short greeting ("喂？", "Hello?") and then waits in
 * silence for the caller; a machine speaks a long greeting without waiting. So:
 *   - one continuous stretch of speech longer than `maxGreetingMs`, or more than `maxWords`
 *     words before a long pause → machine;
 *   - a greeting followed by `afterGreetingSilenceMs` of silence → human;
 *   - no speech at all for `initialSilenceMs` → human (someone who picked up and says nothing
 *     is more often a person than a machine, and an agent can judge);
 *   - no decision by `totalMs` → unknown (treated as a person by the dialer).
 */
export type AmdResult = 'human' | 'machine' | 'unknown';

export interface AmdVerdict {
  result: AmdResult;
  /** Which rule decided. */
  reason: string;
  /** Audio analysed before the decision, ms. */
  afterMs: number;
}

export interface AnsweringMachineDetector {
  /** Feeds 8 kHz mono samples; returns the verdict once there is one (and the same one after). */
  feed(samples: Int16Array): AmdVerdict | null;
  /** Ends the analysis now (time is up, the call ended): the verdict so far. */
  finish(): AmdVerdict;
}

export interface EnergyAmdOptions {
  initialSilenceMs: number;
  maxGreetingMs: number;
  afterGreetingSilenceMs: number;
  maxWords: number;
  minWordMs: number;
  betweenWordsSilenceMs: number;
  totalMs: number;
  /** Speech threshold above the noise floor, dB, and the lowest absolute threshold (dBFS). */
  marginDb: number;
  minSpeechDbfs: number;
}

export const defaultAmdOptions: EnergyAmdOptions = {
  initialSilenceMs: 2500,
  maxGreetingMs: 2400,
  afterGreetingSilenceMs: 800,
  maxWords: 6,
  minWordMs: 100,
  betweenWordsSilenceMs: 60,
  totalMs: 5000,
  marginDb: 12,
  minSpeechDbfs: -42,
};

const FRAME = 160; // 20 ms at 8 kHz
const FRAME_MS = 20;

export class EnergyAmd implements AnsweringMachineDetector {
  private readonly o: EnergyAmdOptions;
  private buf = new Int16Array(FRAME);
  private fill = 0;
  private elapsed = 0;
  private noiseDb = -70;
  private heardSpeech = false;
  private speechRun = 0;
  private silenceRun = 0;
  /** The current word's speech so far, and whether it was long enough to count. */
  private wordMs = 0;
  private words = 0;
  private greetingMs = 0;
  private verdict: AmdVerdict | null = null;

  constructor(opts: Partial<EnergyAmdOptions> = {}) {
    this.o = { ...defaultAmdOptions, ...opts };
  }

  feed(samples: Int16Array): AmdVerdict | null {
    for (let i = 0; i < samples.length && !this.verdict; i++) {
      this.buf[this.fill++] = samples[i]!;
      if (this.fill === FRAME) {
        this.fill = 0;
        this.frame(this.buf);
      }
    }
    return this.verdict;
  }

  finish(): AmdVerdict {
    return this.verdict ?? { result: 'unknown', reason: 'not enough audio', afterMs: this.elapsed };
  }

  private decide(result: AmdResult, reason: string): void {
    this.verdict = { result, reason, afterMs: this.elapsed };
  }

  private frame(f: Int16Array): void {
    let sum = 0;
    for (let i = 0; i < f.length; i++) sum += f[i]! * f[i]!;
    const rms = Math.sqrt(sum / f.length);
    const db = 20 * Math.log10(Math.max(rms, 1) / 32768);
    const threshold = Math.max(this.o.minSpeechDbfs, this.noiseDb + this.o.marginDb);
    const speech = db > threshold;
    // The floor follows quiet frames quickly and loud ones slowly.
    if (!speech) this.noiseDb += (db - this.noiseDb) * 0.1;
    this.elapsed += FRAME_MS;
    const o = this.o;
    if (speech) {
      this.speechRun += FRAME_MS;
      this.silenceRun = 0;
      this.wordMs += FRAME_MS;
      this.greetingMs += FRAME_MS;
      if (this.wordMs === o.minWordMs) {
        this.words++;
        this.heardSpeech = true;
        if (this.words > o.maxWords) return this.decide('machine', `more than ${o.maxWords} words`);
      }
      if (this.speechRun >= o.maxGreetingMs)
        return this.decide('machine', `speech for ${this.speechRun} ms without a pause`);
      if (this.heardSpeech && this.greetingMs >= o.maxGreetingMs + 1200)
        return this.decide('machine', `greeting longer than ${o.maxGreetingMs + 1200} ms`);
    } else {
      this.silenceRun += FRAME_MS;
      if (this.silenceRun >= o.betweenWordsSilenceMs) {
        this.wordMs = 0;
        this.speechRun = 0;
      }
      if (!this.heardSpeech && this.elapsed >= o.initialSilenceMs)
        return this.decide('human', 'silence after the answer');
      if (this.heardSpeech && this.silenceRun >= o.afterGreetingSilenceMs)
        return this.decide('human', `short greeting (${this.words} words) then silence`);
    }
    if (this.elapsed >= o.totalMs) this.decide('unknown', 'no decision in time');
  }
}
