// The README's runnable example (examples/embed.mjs) runs as documented.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { fixture, repoRoot } from './helpers/fixtures.mjs';

it('examples/embed.mjs embeds texts with a model folder', { timeout: 120_000 }, () => {
  const run = spawnSync(process.execPath, [join(repoRoot, 'examples', 'embed.mjs'), fixture('base-random'), 'Hello world', 'A second text.'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^Hello world\s+-> \[-?\d\.\d{4}, .*\] \(768 dims\)$/);
});
