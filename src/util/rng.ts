/**
 * Seeded random source for the whole library (STYLE habit 3: `Math.random()` never appears under src/).
 * Wraps seedrandom's ARC4 generator; its state can be saved and restored, so resumed runs continue
 * the exact random stream they would have drawn without the interruption.
 */
import seedrandom from 'seedrandom';

/** seedrandom's ARC4 generator with `{ state: true }` exposes its state (not in @types/seedrandom). */
type StatefulPrng = seedrandom.PRNG & { state(): object };

/** A saved state of an Rng (its ARC4 state and cached normal). */
export type RngState = { arc4: object; spare: number | null };

/** A seeded random source (ARC4): uniforms, integers, normals, shuffles; child streams by label; saveable state. */
export class Rng {
  private gen: StatefulPrng;
  /** Cached second normal from the Box-Muller pair (part of the saved state). */
  private spare: number | null = null;

  constructor(seed: number | string, state?: RngState) {
    if (state !== undefined) {
      this.gen = seedrandom('', { state: state.arc4 as any }) as StatefulPrng;
      this.spare = state.spare;
    } else {
      if (typeof seed === 'number' && !Number.isFinite(seed)) {
        throw new RangeError(`seed must be a finite number or a string, got ${seed}`);
      }
      this.gen = seedrandom(String(seed), { state: true }) as StatefulPrng;
    }
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.gen.double();
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.gen.double();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`n must be a positive integer, got ${n}`);
    return Math.floor(this.gen.double() * n);
  }

  /** Standard normal via Box-Muller. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.gen.double();
    const v = this.gen.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fill `out` with N(mean, std^2) samples. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A 32-bit integer, for deriving child seeds. */
  int32(): number {
    return this.gen.int32() >>> 0;
  }

  /** An independent child stream, deterministic given this stream's state. */
  child(label: string | number): Rng {
    return new Rng(`${this.int32()}/${label}`);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(xs: T[] | Int32Array | Uint32Array): typeof xs {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }

  /** The state to resume this exact stream from (`Rng.fromState`). */
  saveState(): RngState {
    return { arc4: this.gen.state(), spare: this.spare };
  }

  /** A source that continues the stream saved by `saveState`. */
  static fromState(state: RngState): Rng {
    return new Rng('', state);
  }
}
