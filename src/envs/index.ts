/**
 * The environments layer: importing this module registers every domain's faithful tasks. Their training variants
 * register from src/training/variants, which imports this module.
 */
export * from './types';
export * from './registry';
// Domain files (each registers its tasks when imported):
import './humanoid';
import './humanoid-walls';
import './cartpole';
import './cheetah';
import './manipulator';
import './reacher';
