/**
 * The training variants: importing this module registers, beside each faithful task, its training-only variant
 * (start-state curricula, shaping, assist forces). Code that trains or reads training configs imports it; the
 * faithful tasks (src/envs) never do.
 */
import '../../envs';
export * from './manipulator';
export * from './humanoid';
export * from './humanoid-walls';
