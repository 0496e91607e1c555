/** RayCamera: a camera facing a box at a known distance reads that (planar) distance. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMujoco, compileModel } from '../src/physics/mujoco';
import { RayCamera, type RayCameraOptions } from '../src/physics/raycam';

// A mount body at the origin (rotated 90 degrees about z, so its +x looks along world +y), a wall whose near
// face is at y = 2.5, and a box beside it at x = +5 (outside the field of view).
const XML = `<mujoco>
  <worldbody>
    <body name="mount" pos="0 0 1" euler="0 0 90">
      <geom type="sphere" size="0.2"/>
      <camera name="cam" pos="0 0 0" xyaxes="0 -1 0 0 0 1"/>
    </body>
    <geom name="wall" type="box" pos="0 3 1" size="4 0.5 4"/>
    <geom name="side" type="box" pos="5 0 1" size="0.5 0.5 0.5"/>
    <body name="blocker" pos="0 1 1"><geom type="box" size="1 0.1 1" group="2"/></body>
  </worldbody>
</mujoco>`;

test('RayCamera reads the distance to a wall, excludes its own body, normalises by maxDepth', async () => {
  const mj = await loadMujoco();
  const physics = compileModel(mj, XML, 'raycam-test');
  mj.mj_forward(physics.model, physics.data);
  try {
    const cam = new RayCamera(physics, { width: 8, height: 6, fovy: 60, maxDepth: 10, attach: { body: 'mount', pos: [0, 0, 0] }, excludeBody: 'mount', geomGroups: [0, 1] });
    assert.deepEqual(cam.shape, [6, 8, 1]);
    const img = cam.render();
    assert.equal(img.length, 48);
    // Planar depth: every pixel sees the wall face at 2.5 m.
    for (const v of img) assert.ok(Math.abs(v * 10 - 2.5) < 1e-6, `depth ${v * 10} != 2.5`);

    // Geom groups: with group 2 visible, the blocker (near face at y = 0.9) is seen instead of the wall.
    const all = new RayCamera(physics, { width: 4, height: 4, fovy: 30, maxDepth: 10, attach: { body: 'mount' }, excludeBody: 'mount' });
    for (const v of all.render()) assert.ok(Math.abs(v * 10 - 0.9) < 1e-6, `depth ${v * 10} != 0.9`);
    all.dispose();
    // Hiding the mount's group (0) instead of excluding its body also sees past it (to the blocker).
    const hidden = new RayCamera(physics, { width: 4, height: 4, fovy: 30, maxDepth: 10, attach: { body: 'mount' }, geomGroups: [2] });
    for (const v of hidden.render()) assert.ok(Math.abs(v * 10 - 0.9) < 1e-6, `depth ${v * 10} != 0.9`);
    hidden.dispose();

    // Without excluding the mount the rays start inside its sphere and hit it (depth ~0.2 m or less).
    const inside = new RayCamera(physics, { width: 4, height: 4, fovy: 60, maxDepth: 10, attach: { body: 'mount' }, geomGroups: [0] });
    assert.ok(inside.render().every((v) => v < 0.03));
    inside.dispose();

    // Shorter maxDepth: the wall is beyond it, so everything reads 1.
    const short = new RayCamera(physics, { width: 4, height: 4, maxDepth: 2, attach: { body: 'mount' }, excludeBody: 'mount', geomGroups: [0, 1] });
    const rgba = Float32Array.from((physics.model as any).geom_rgba);
    assert.ok(short.render().every((v) => v === 1));
    // Geoms out of range are hidden only during the call (the side box here).
    assert.deepEqual((physics.model as any).geom_rgba, rgba);
    short.dispose();

    // Looking backwards (-x in body frame = world -y): nothing there.
    const back = new RayCamera(physics, { width: 4, height: 4, maxDepth: 10, attach: { body: 'mount', forward: [-1, 0, 0] }, excludeBody: 'mount', geomGroups: [0, 1] });
    assert.ok(back.render().every((v) => v === 1));
    back.dispose();

    // An MJCF camera (looks along its -z) placed to look along world +y, offset by a position in the body frame.
    const named = new RayCamera(physics, { width: 4, height: 4, fovy: 30, maxDepth: 10, attach: { camera: 'cam' }, excludeBody: 'mount', geomGroups: [0, 1] });
    for (const v of named.render()) assert.ok(Math.abs(v * 10 - 2.5) < 1e-6);
    named.dispose();
    const offset = new RayCamera(physics, { width: 2, height: 2, fovy: 30, maxDepth: 10, attach: { body: 'mount', pos: [1, 0, 0] }, excludeBody: 'mount', geomGroups: [0, 1] });
    for (const v of offset.render(new Float32Array(4))) assert.ok(Math.abs(v * 10 - 1.5) < 1e-6);
    offset.dispose();

    // Position-only tracking: forward given in world axes (+x sees the side box whose face is at x = 4.5).
    const track = new RayCamera(physics, { width: 1, height: 1, fovy: 10, maxDepth: 10, attach: { body: 'mount', forward: [1, 0, 0], followRotation: false }, excludeBody: 'mount', geomGroups: [0, 1] });
    assert.ok(Math.abs(track.render()[0] * 10 - 4.5) < 1e-6);
    track.dispose();

    // Top row is the top of the image: tilt the camera up so the upper rays clear the wall (top at z = 5).
    const tilted = new RayCamera(physics, { width: 1, height: 2, fovy: 120, maxDepth: 10, attach: { body: 'mount', forward: [1, 0, 0.9] }, excludeBody: 'mount', geomGroups: [0, 1] });
    const t = tilted.render();
    assert.equal(t[0], 1);
    assert.ok(t[1] < 1);
    tilted.dispose();

    assert.throws(() => new RayCamera(physics, { width: 0, height: 4, attach: { body: 'mount' } }), /width/);
    assert.throws(() => new RayCamera(physics, { width: 4, height: 4, attach: { body: 'nope' } }), /nope/);
    assert.throws(() => new RayCamera(physics, { width: 4, height: 4, attach: { body: 'mount' }, geomGroups: [7] }), /geomGroups/);
    assert.throws(() => cam.render(new Float32Array(3)), /length 48/);
    cam.dispose();
    assert.throws(() => cam.render(), /dispose/);
  } finally {
    physics.free();
  }
});

/** Depth (metres) seen by a camera on an `eye` sphere at (0, 0, 1) in a world holding `worldGeoms`. */
async function depthsFromEye(worldGeoms: string, camera: Omit<RayCameraOptions, 'attach' | 'excludeBody'> & { forward: [number, number, number]; up?: [number, number, number] }): Promise<number[]> {
  const mj = await loadMujoco();
  const physics = compileModel(mj, `<mujoco><worldbody>${worldGeoms}
    <body name="eye" pos="0 0 1"><geom type="sphere" size="0.05"/></body></worldbody></mujoco>`, 'raycam-eye');
  mj.mj_forward(physics.model, physics.data);
  try {
    const { forward, up, ...rest } = camera;
    const cam = new RayCamera(physics, { ...rest, attach: { body: 'eye', forward, up }, excludeBody: 'eye' });
    const depths = Array.from(cam.render(), (v) => v * cam.maxDepth);
    cam.dispose();
    return depths;
  } finally {
    physics.free();
  }
}

test('RayCamera sees a floor plane whose centre is far beyond maxDepth', async () => {
  // mj_multiRay's cutoff test measures the distance to a geom's centre; a plane has no bounding radius.
  const depths = await depthsFromEye('<geom name="floor" type="plane" pos="50 0 0" size="52 5 0.1"/>',
    { width: 2, height: 2, fovy: 20, maxDepth: 4, forward: [0, 0, -1], up: [1, 0, 0] });
  for (const d of depths) assert.ok(Math.abs(d - 1) < 1e-6, `depth ${d} != 1`);
});

test('RayCamera hits the middle of a long wall above its corners\' elevation (mj_multiRay culling workaround)', async () => {
  // From (0, 0, 1) the wall's top corners (1.4, +-5, 3) are 21 degrees up, its near top edge at y = 0 is 55 degrees up.
  const [d] = await depthsFromEye('<geom name="wall" type="box" pos="1.5 0 1.5" size="0.1 5 1.5"/>',
    { width: 1, height: 1, fovy: 10, maxDepth: 10, forward: [1, 0, 1] });
  assert.ok(Math.abs(d - 1.4 * Math.SQRT2) < 1e-6, `depth ${d} != ${1.4 * Math.SQRT2}`);
});
