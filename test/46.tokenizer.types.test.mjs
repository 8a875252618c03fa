// The Tokenizer typings: test/types/tokenizer-usage.ts must compile against dist/*.d.ts, misuses must not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from './helpers/fixtures.mjs';

it('dist/index.d.ts types the Tokenizer API', { timeout: 120_000 }, () => {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--lib', 'ES2022,ESNext.Disposable', '--types', 'node', '--skipLibCheck', join('test', 'types', 'tokenizer-usage.ts')],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
});
