/**
 * What a bitwise-identical resume needs of the environments: each env's in-flight episode (its index, so its
 * seeded start is drawn again, and the actions taken in it so far, replayed on resume by VecEnv `restore`), and the
 * env seed. Stored in every trainer checkpoint (episodes.bin + trainer.json's envState). Not a paper component.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpisodeReplay } from '../envs/env-block';

/** trainer.json's record of the envs (the actions themselves are in episodes.bin). */
export interface EnvState {
  /** The VecEnv seed before the curriculum stage's offset. */
  envSeed: number;
  /** Task options the envs were built with (a resume under other options starts fresh episodes). */
  taskOptions: Record<string, unknown>;
  episodes: number[];
  actionDim: number;
  /** Steps recorded per env. */
  lengths: number[];
}

const FILE = 'episodes.bin';

export class EpisodeRecorder {
  private episodes: number[];
  private actions: number[][];

  constructor(readonly numEnvs: number, readonly actionDim: number) {
    this.episodes = new Array(numEnvs).fill(0);
    this.actions = Array.from({ length: numEnvs }, () => []);
  }

  /** After VecEnv.reset(): every env in its first episode, nothing taken yet. */
  reset(): void {
    this.episodes.fill(0);
    for (const a of this.actions) a.length = 0;
  }

  /** After a VecEnv step with `actions`: append each env's action; an env whose episode ended starts the next. */
  record(actions: Float32Array, done: Uint8Array): void {
    const A = this.actionDim;
    for (let i = 0; i < this.numEnvs; i++) {
      if (done[i]) {
        this.episodes[i] += 1;
        this.actions[i].length = 0;
      } else {
        for (let j = 0; j < A; j++) this.actions[i].push(actions[i * A + j]);
      }
    }
  }

  /** The replay for VecEnv `restore`. */
  replay(): EpisodeReplay {
    return { episodes: [...this.episodes], actions: this.actions.map((a) => Float32Array.from(a)) };
  }

  /** Write episodes.bin into checkpoint folder `dir`; returns trainer.json's envState. */
  save(dir: string, envSeed: number, taskOptions: Record<string, unknown>): EnvState {
    const flat = Float32Array.from(this.actions.flat());
    fs.writeFileSync(path.join(dir, FILE), Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength));
    return { envSeed, taskOptions, episodes: [...this.episodes], actionDim: this.actionDim, lengths: this.actions.map((a) => a.length / this.actionDim) };
  }

  /** A recorder holding checkpoint `dir`'s in-flight episodes. */
  static load(dir: string, state: EnvState, numEnvs: number): EpisodeRecorder {
    const actionDim = state.actionDim;
    const r = new EpisodeRecorder(numEnvs, actionDim);
    const file = path.join(dir, FILE);
    const b = fs.readFileSync(file);
    const total = state.lengths.reduce((a, n) => a + n, 0) * actionDim;
    if (state.episodes.length !== numEnvs || state.lengths.length !== numEnvs || b.byteLength !== 4 * total) {
      throw new Error(`${file} does not match trainer.json's envState (${b.byteLength} bytes for ${state.lengths.length} envs, ${total} values listed)`);
    }
    const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    let o = 0;
    for (let i = 0; i < numEnvs; i++) {
      r.episodes[i] = state.episodes[i];
      r.actions[i] = Array.from(all.subarray(o, o + state.lengths[i] * actionDim));
      o += state.lengths[i] * actionDim;
    }
    return r;
  }
}
