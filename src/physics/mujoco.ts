/**
 * Loading the official MuJoCo WebAssembly build (`mujoco-js`) and compiling MJCF strings.
 * One wasm module per thread, loaded once; models are compiled from XML written to its in-memory FS.
 */
type MujocoTypes = typeof import('mujoco-js', { with: { 'resolution-mode': 'import' } });
export type Mujoco = Awaited<ReturnType<MujocoTypes['default']>>;
export type MjModel = InstanceType<Mujoco['MjModel']>;
export type MjData = InstanceType<Mujoco['MjData']>;

let modulePromise: Promise<Mujoco> | null = null;
let fileCounter = 0;

/** Load (once per thread) the MuJoCo wasm module. */
export function loadMujoco(): Promise<Mujoco> {
  if (modulePromise === null) {
    modulePromise = (async () => {
      const mod = await import('mujoco-js');
      const mj = (await mod.default()) as Mujoco;
      (mj as any).FS.mkdir('/mjcf');
      return mj;
    })();
  }
  return modulePromise;
}

/** A compiled model with its data. `free()` releases both wasm allocations. */
export interface Physics {
  mj: Mujoco;
  model: MjModel;
  data: MjData;
  free(): void;
}

/** Compile an MJCF string into a model and a fresh data. Throws with MuJoCo's message on bad XML. */
export function compileModel(mj: Mujoco, xml: string, name = 'model'): Physics {
  const path = `/mjcf/${name}-${fileCounter++}.xml`;
  const fs = (mj as any).FS;
  fs.writeFile(path, xml);
  let model: MjModel;
  try {
    model = mj.MjModel.loadFromXML(path);
  } catch (e) {
    throw new Error(`MuJoCo could not compile ${name}: ${(e as Error).message ?? e}`);
  } finally {
    fs.unlink(path);
  }
  if (!model) throw new Error(`MuJoCo could not compile ${name}`);
  const data = new mj.MjData(model);
  return {
    mj,
    model,
    data,
    free() {
      data.delete();
      model.delete();
    },
  };
}

/** Look up an object id by name; throws naming the object if it is missing. */
export function nameToId(physics: Physics, objType: 'body' | 'geom' | 'site' | 'joint' | 'actuator' | 'sensor' | 'camera', name: string): number {
  const mj = physics.mj as any;
  const key = {
    body: 'mjOBJ_BODY', geom: 'mjOBJ_GEOM', site: 'mjOBJ_SITE', joint: 'mjOBJ_JOINT',
    actuator: 'mjOBJ_ACTUATOR', sensor: 'mjOBJ_SENSOR', camera: 'mjOBJ_CAMERA',
  }[objType];
  const id = mj.mj_name2id(physics.model, mj.mjtObj[key].value, name);
  if (id < 0) throw new Error(`no ${objType} named '${name}' in the model`);
  return id;
}

/**
 * Calls `visit(geom1, geom2, dist)` for each active contact of `data`, stopping early when it returns true.
 * mujoco-js copies onto the wasm heap on every `data.contact` access and every `.get(i)`; without `delete()`
 * those copies are never freed, and a training run that read contacts every step exhausted the 2 GB heap in
 * ~20 minutes. This reads the fields it needs and frees both.
 */
export function forEachContact(data: MjData, visit: (geom1: number, geom2: number, dist: number) => boolean | void): void {
  const d = data as any;
  const n: number = d.ncon;
  if (n === 0) return;
  const contacts = d.contact;
  try {
    for (let i = 0; i < n; i++) {
      const c = contacts.get(i);
      const geom1: number = c.geom1, geom2: number = c.geom2, dist: number = c.dist;
      c.delete();
      if (visit(geom1, geom2, dist) === true) return;
    }
  } finally {
    contacts.delete();
  }
}
