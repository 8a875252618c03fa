// Paths to the shared fixtures (CI has them at ../shared/fixtures, beside the clone).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesRoot = process.env.ALBERT_NODE_FIXTURES ?? resolve(repoRoot, '..', 'shared', 'fixtures');

if (!existsSync(fixturesRoot)) {
  throw new Error(`fixtures not found at ${fixturesRoot}: clone next to ../shared or set ALBERT_NODE_FIXTURES`);
}

export const fixture = (...parts) => join(fixturesRoot, ...parts);

/**
 * Every model folder that carries base-model goldens. ALBERT_NODE_TEST_TINY_ONLY=1 (the sanitizer run) leaves
 * out the 12-layer base-random model.
 */
export function goldenModelFolders() {
  const models = readdirSync(fixture('models')).map((name) => ({ name, folder: fixture('models', name) }));
  if (process.env.ALBERT_NODE_TEST_TINY_ONLY === '1') return models;
  return [...models, { name: 'base-random', folder: fixture('base-random') }];
}

/** README tolerance for float32 comparisons against the goldens. */
export const TOLERANCE = 1e-4;
