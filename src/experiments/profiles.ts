/**
 * Compute profiles: `quick` (minutes on 2 cores; what the tests and a freshly opened notebook run), `paper`
 * (the scale of the committed figures) and `full` (the paper's own ranges, for users with many machines: defined
 * and planned here, not computed; its cells go to data/results-full/). Selected by APC_PROFILE; `npm run figures` sets paper. Every figure's
 * title and caption carry the profile with its seeds, episodes and trajectories, so a figure says its own scale.
 */
export type ProfileName = 'quick' | 'paper' | 'full';
/** The compute profiles: `quick` (pipeline check, minutes), `paper` (the scale of the committed results) and `full` (the paper's own ranges). */
export const PROFILE_NAMES: readonly ProfileName[] = ['quick', 'paper', 'full'];

/** Parse a profile name; the error names the accepted values. */
export function parseProfile(name: string): ProfileName {
  if ((PROFILE_NAMES as readonly string[]).includes(name)) return name as ProfileName;
  throw new RangeError(`profile must be one of ${PROFILE_NAMES.join(', ')}, got '${name}' (set APC_PROFILE)`);
}

/** The profile named by APC_PROFILE; 'quick' when unset. */
export function profileFromEnv(env: NodeJS.ProcessEnv = process.env): ProfileName {
  return parseProfile(env.APC_PROFILE && env.APC_PROFILE.length > 0 ? env.APC_PROFILE : 'quick');
}
