/**
 * Ray-cast depth camera: one `mj_multiRay` call per image (no OpenGL needed), used for the egocentric
 * vision of the walls corridor task (paper Section 5, "humanoid with egocentric vision") and for
 * third-person views. Depth is the planar (optical-axis) distance, normalised to [0, 1] by `maxDepth`.
 */
import { nameToId, type Physics } from './mujoco';

type Vec3 = [number, number, number];
type WasmBuf = { GetView(): any; delete(): void };

/** Where the camera sits. Axes are given in the frame of the body/site they are attached to. */
export type RayCameraAttachment =
  | {
      body: string;
      /** Camera position in the body frame (default [0, 0, 0]). */
      pos?: Vec3;
      /** Optical axis in the body frame (default [1, 0, 0]). */
      forward?: Vec3;
      /** Image "up" in the body frame (default [0, 0, 1]); orthogonalised against `forward`. */
      up?: Vec3;
      /**
       * If false, only the position follows the body and `forward`/`up` are WORLD axes
       * (like dm_control's `trackcom` camera mode). Default true.
       */
      followRotation?: boolean;
    }
  | { site: string; pos?: Vec3; forward?: Vec3; up?: Vec3; followRotation?: boolean }
  /** An MJCF <camera>: looks along its -z axis with +y up, as MuJoCo renders it; `fovy` still comes from the options. */
  | { camera: string };

export interface RayCameraOptions {
  /** Image width in pixels (no default). */
  width: number;
  /** Image height in pixels (no default). */
  height: number;
  /** Vertical field of view in degrees (default 90). */
  fovy?: number;
  /** Depth that maps to 1; farther surfaces and empty rays read 1 (default 10 m). */
  maxDepth?: number;
  attach: RayCameraAttachment;
  /** A body whose geoms the rays pass through (typically the body the camera is mounted on). Default: none. */
  excludeBody?: string;
  /**
   * Geom groups (0-5) the rays can hit (default: all six). Put a robot's own geoms in a hidden group to see past
   * it. As in MuJoCo's renderer, geoms with alpha 0 (and no material) are never hit.
   */
  geomGroups?: number[];
  /** Whether static (world-body) geoms are hit (default true). */
  includeStatic?: boolean;
}

const MJ_NGROUP = 6;

function normalize(v: Vec3, what: string): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  if (!(n > 1e-12)) throw new RangeError(`${what} must be a non-zero 3-vector, got [${v.join(', ')}]`);
  return [v[0] / n, v[1] / n, v[2] / n];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export class RayCamera {
  readonly width: number;
  readonly height: number;
  readonly fovy: number;
  readonly maxDepth: number;
  /** Shape of the image `render` returns: [H, W, 1]. */
  readonly shape: [number, number, number];

  private readonly physics: Physics;
  private readonly mode: 'body' | 'site' | 'camera';
  private readonly frameId: number;
  private readonly followRotation: boolean;
  private readonly localPos: Float64Array;
  /** Per-pixel ray directions in the attachment frame, forward component 1 (so ray distance = planar depth). */
  private readonly localDirs: Float64Array;
  private readonly geomGroup: Uint8Array;
  private readonly flgStatic: number;
  private readonly bodyExclude: number;
  private readonly cutoff: number;
  /** Geoms that may be hidden when out of range, and scratch space for hiding them during a render. */
  private readonly prunable: Int32Array;
  private readonly hidden: Int32Array;
  private readonly hiddenAlpha: Float32Array;
  private readonly pruneRadius: number;
  /** Scratch copy of model.body_bvhadr (see render). */
  private readonly savedBvh: Int32Array;
  /**
   * Ray origin and world directions. JS-owned: mujoco-js copies these arguments into std::vectors, and that copy
   * may grow wasm memory, which would detach a view into wasm memory half-way through the call.
   */
  private readonly origin = new Float64Array(3);
  private readonly worldDirs: Float64Array;
  /**
   * Wasm-side buffers. mujoco-js reads a TypedArray argument of mj_multiRay's `geomgroup` at the address given by
   * its byteOffset, i.e. it must be a view INTO wasm memory (a plain Uint8Array silently reads garbage); render
   * passes a fresh view and casts again if wasm memory grew during the call (the view then read garbage).
   */
  private buffers: { group: WasmBuf; geomId: WasmBuf; dist: WasmBuf } | null;

  constructor(physics: Physics, options: RayCameraOptions) {
    const { width, height } = options;
    if (!Number.isInteger(width) || width <= 0) throw new RangeError(`width must be a positive integer, got ${width}`);
    if (!Number.isInteger(height) || height <= 0) throw new RangeError(`height must be a positive integer, got ${height}`);
    const fovy = options.fovy ?? 90;
    if (!(fovy > 0 && fovy < 180)) throw new RangeError(`fovy must be in (0, 180) degrees, got ${fovy}`);
    const maxDepth = options.maxDepth ?? 10;
    if (!(maxDepth > 0)) throw new RangeError(`maxDepth must be positive, got ${maxDepth}`);
    this.physics = physics;
    this.width = width;
    this.height = height;
    this.fovy = fovy;
    this.maxDepth = maxDepth;
    this.shape = [height, width, 1];

    const a = options.attach as any;
    let forward: Vec3;
    let up: Vec3;
    if (a && typeof a.camera === 'string') {
      this.mode = 'camera';
      this.frameId = nameToId(physics, 'camera', a.camera);
      this.followRotation = true;
      this.localPos = new Float64Array(3);
      forward = [0, 0, -1];
      up = [0, 1, 0];
    } else if (a && (typeof a.body === 'string' || typeof a.site === 'string')) {
      this.mode = typeof a.body === 'string' ? 'body' : 'site';
      this.frameId = nameToId(physics, this.mode, this.mode === 'body' ? a.body : a.site);
      this.followRotation = a.followRotation ?? true;
      this.localPos = Float64Array.from(a.pos ?? [0, 0, 0]);
      forward = normalize(a.forward ?? [1, 0, 0], 'attach.forward');
      up = a.up ?? [0, 0, 1];
    } else {
      throw new RangeError(`attach must be { body: string, ... }, { site: string, ... } or { camera: string }, got ${JSON.stringify(options.attach)}`);
    }
    // Gram-Schmidt: make `up` orthogonal to `forward`; right = forward x up.
    const d = up[0] * forward[0] + up[1] * forward[1] + up[2] * forward[2];
    up = normalize([up[0] - d * forward[0], up[1] - d * forward[1], up[2] - d * forward[2]], 'attach.up (orthogonal to forward)');
    const right = cross(forward, up);

    // Pinhole model: pixel centres on the image plane at distance 1; row 0 is the top of the image.
    const tanY = Math.tan((fovy * Math.PI) / 360);
    const tanX = (tanY * width) / height;
    const n = width * height;
    this.localDirs = new Float64Array(3 * n);
    for (let r = 0; r < height; r++) {
      const v = tanY * (1 - (2 * (r + 0.5)) / height);
      for (let c = 0; c < width; c++) {
        const u = tanX * ((2 * (c + 0.5)) / width - 1);
        const k = 3 * (r * width + c);
        for (let j = 0; j < 3; j++) this.localDirs[k + j] = forward[j] + u * right[j] + v * up[j];
      }
    }
    // No MuJoCo cutoff: with the bounding-volume hierarchy hidden (see render) MuJoCo skips its cutoff pruning,
    // and a finite cutoff would drop planes (bounding radius 0) centred farther away than it.
    const m = physics.model as any;
    this.cutoff = Number.MAX_VALUE;
    // Our own cutoff instead: a geom whose bounding sphere lies entirely farther than maxDepth * (longest ray
    // direction) cannot give a planar depth below maxDepth, so it is hidden (alpha 0) during the call. Planes
    // (no bounding radius) and geoms with a material (alpha not in geom_rgba) are never hidden.
    let maxNorm = 1;
    for (let k = 0; k < 3 * n; k += 3) maxNorm = Math.max(maxNorm, Math.hypot(this.localDirs[k], this.localDirs[k + 1], this.localDirs[k + 2]));
    this.pruneRadius = maxDepth * maxNorm;
    const PLANE = (physics.mj as any).mjtGeom.mjGEOM_PLANE.value;
    const prunable: number[] = [];
    const excludeId = options.excludeBody !== undefined ? nameToId(physics, 'body', options.excludeBody) : -1;
    for (let g = 0; g < m.ngeom; g++) {
      if (m.geom_type[g] !== PLANE && m.geom_matid[g] < 0 && m.geom_rgba[4 * g + 3] !== 0 && m.geom_bodyid[g] !== excludeId) prunable.push(g);
    }
    this.prunable = Int32Array.from(prunable);
    this.hidden = new Int32Array(prunable.length);
    this.hiddenAlpha = new Float32Array(prunable.length);
    this.savedBvh = new Int32Array(m.nbody);

    const groups = options.geomGroups ?? [0, 1, 2, 3, 4, 5];
    this.geomGroup = new Uint8Array(MJ_NGROUP);
    for (const g of groups) {
      if (!Number.isInteger(g) || g < 0 || g >= MJ_NGROUP) throw new RangeError(`geomGroups entries must be integers in 0..5, got ${g}`);
      this.geomGroup[g] = 1;
    }
    this.flgStatic = options.includeStatic === false ? 0 : 1;
    this.bodyExclude = options.excludeBody !== undefined ? nameToId(physics, 'body', options.excludeBody) : -1;
    const mj = physics.mj as any;
    this.worldDirs = new Float64Array(3 * n);
    this.buffers = { group: new mj.IntBuffer(2), geomId: new mj.IntBuffer(n), dist: new mj.DoubleBuffer(n) };
  }

  /** Camera origin and rotation (row-major 3x3, columns = attachment-frame axes) from the current `data`. */
  private frame(): { pos: Float64Array; mat: Float64Array; off: number } {
    const data = this.physics.data as any;
    if (this.mode === 'body') return { pos: data.xpos, mat: data.xmat, off: this.frameId };
    if (this.mode === 'site') return { pos: data.site_xpos, mat: data.site_xmat, off: this.frameId };
    return { pos: data.cam_xpos, mat: data.cam_xmat, off: this.frameId };
  }

  /**
   * Cast one ray per pixel from the current kinematics (call after mj_forward/mj_step) and write the
   * normalised depth, row-major H x W x 1, into `out` (allocated if absent). 1 = nothing within maxDepth.
   */
  render(out?: Float32Array): Float32Array {
    const bufs = this.buffers;
    if (bufs === null) throw new Error('RayCamera.render called after dispose()');
    const n = this.width * this.height;
    if (out === undefined) out = new Float32Array(n);
    else if (out.length !== n) throw new RangeError(`out must have length ${n} (H*W), got ${out.length}`);

    const { pos, mat, off } = this.frame();
    const p = 3 * off;
    const m = 9 * off;
    const R = this.followRotation;
    // Rotation from the attachment frame to the world (identity when only following the position).
    const r00 = R ? mat[m] : 1, r01 = R ? mat[m + 1] : 0, r02 = R ? mat[m + 2] : 0;
    const r10 = R ? mat[m + 3] : 0, r11 = R ? mat[m + 4] : 1, r12 = R ? mat[m + 5] : 0;
    const r20 = R ? mat[m + 6] : 0, r21 = R ? mat[m + 7] : 0, r22 = R ? mat[m + 8] : 1;
    const lp = this.localPos;
    const origin = this.origin;
    origin[0] = pos[p] + r00 * lp[0] + r01 * lp[1] + r02 * lp[2];
    origin[1] = pos[p + 1] + r10 * lp[0] + r11 * lp[1] + r12 * lp[2];
    origin[2] = pos[p + 2] + r20 * lp[0] + r21 * lp[1] + r22 * lp[2];
    const L = this.localDirs;
    const W = this.worldDirs;
    for (let k = 0; k < 3 * n; k += 3) {
      const x = L[k], y = L[k + 1], z = L[k + 2];
      W[k] = r00 * x + r01 * y + r02 * z;
      W[k + 1] = r10 * x + r11 * y + r12 * z;
      W[k + 2] = r20 * x + r21 * y + r22 * z;
    }
    const mj = this.physics.mj as any;
    // MuJoCo 3.3's mj_multiRay culls geoms by azimuth/elevation bounds taken from their bounding-box CORNERS, which
    // underestimates the elevation of a long box's near edge (rays over a wall's middle miss it). The culling runs
    // only for bodies with a bounding-volume hierarchy, so hide the hierarchy for the duration of the call.
    const model = this.physics.model as any;
    const bvhadr: Int32Array = model.body_bvhadr;
    const rgba: Float32Array = model.geom_rgba;
    const rbound: Float64Array = model.geom_rbound;
    const gpos: Float64Array = (this.physics.data as any).geom_xpos;
    let nHidden = 0;
    for (let i = 0; i < this.prunable.length; i++) {
      const g = this.prunable[i];
      const dx = gpos[3 * g] - origin[0], dy = gpos[3 * g + 1] - origin[1], dz = gpos[3 * g + 2] - origin[2];
      if (Math.sqrt(dx * dx + dy * dy + dz * dz) - rbound[g] > this.pruneRadius) {
        this.hidden[nHidden] = g;
        this.hiddenAlpha[nHidden++] = rgba[4 * g + 3];
        rgba[4 * g + 3] = 0;
      }
    }
    this.savedBvh.set(bvhadr);
    bvhadr.fill(-1);
    try {
      // If wasm memory grew during the call (the argument copies allocate), the group view was detached and read
      // as garbage: cast again with a fresh view (the second call finds the memory it needs already there).
      for (let attempt = 0; attempt < 3; attempt++) {
        const groupWords: Int32Array = bufs.group.GetView();
        const group = new Uint8Array(groupWords.buffer, groupWords.byteOffset, MJ_NGROUP);
        group.set(this.geomGroup);
        mj.mj_multiRay(model, this.physics.data, origin, W, group, this.flgStatic,
          this.bodyExclude, bufs.geomId, bufs.dist, n, this.cutoff);
        if (groupWords.buffer.byteLength !== 0) break;
        if (attempt === 2) throw new Error('wasm memory kept growing during mj_multiRay');
      }
    } finally {
      // Fresh views: the ones taken before the call are detached if wasm memory grew.
      (model.body_bvhadr as Int32Array).set(this.savedBvh);
      const rgbaNow: Float32Array = model.geom_rgba;
      for (let i = 0; i < nHidden; i++) rgbaNow[4 * this.hidden[i] + 3] = this.hiddenAlpha[i];
    }
    const gid: Int32Array = bufs.geomId.GetView();
    const dist: Float64Array = bufs.dist.GetView();
    const inv = 1 / this.maxDepth;
    for (let i = 0; i < n; i++) {
      const d = dist[i];
      out[i] = gid[i] < 0 || d < 0 || d >= this.maxDepth ? 1 : d * inv;
    }
    return out;
  }

  /** Release the wasm buffers. The camera cannot render afterwards. */
  dispose(): void {
    if (this.buffers === null) return;
    for (const b of Object.values(this.buffers)) b.delete();
    this.buffers = null;
  }
}
