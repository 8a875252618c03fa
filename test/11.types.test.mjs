// The published typings: a usage file must compile against dist/*.d.ts, and misuses must fail to compile.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from './helpers/fixtures.mjs';

it('dist/index.d.ts types the public API (valid use compiles, misuse is rejected)', { timeout: 120_000 }, () => {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--lib', 'ES2022,ESNext.Disposable', '--types', 'node', '--skipLibCheck', join('test', 'types', 'api-usage.ts'), join('test', 'types', 'heads-usage.ts'), join('test', 'types', 'tf-usage.ts')],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});
