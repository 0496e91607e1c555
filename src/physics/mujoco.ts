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
