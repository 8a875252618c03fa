// Compiles usage files from test/types against dist/*.d.ts with the published settings (strict, nodenext):
// valid use must compile, and the files' @ts-expect-error lines prove misuse is rejected.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './fixtures.mjs';

/** Asserts that test/types/<files> compile; `skipLibCheck: false` also checks the .d.ts files themselves. */
export function assertTypesCompile(files, { skipLibCheck = true } = {}) {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--lib', 'ES2022,ESNext.Disposable', '--types', 'node', ...(skipLibCheck ? ['--skipLibCheck'] : []),
      ...files.map((f) => join('test', 'types', f))],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
}
