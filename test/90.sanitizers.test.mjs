// The native code under AddressSanitizer and UndefinedBehaviorSanitizer: builds an instrumented addon with
// cmake-js (ALBERT_SANITIZE=ON) and reruns the loading, golden, forward-error and fuzz tests against it.
// Any sanitizer report fails the run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from './helpers/fixtures.mjs';

const supported = process.platform === 'linux' && spawnSync('gcc', ['--version']).status === 0;

it('native code is clean under ASan + UBSan', { skip: !supported && 'needs Linux with gcc', timeout: 20 * 60_000 }, (t) => {
  const buildDir = join(repoRoot, 'build-asan');
  const cmakeJs = join(repoRoot, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  const build = spawnSync(process.execPath, [cmakeJs, 'compile', '-O', buildDir, '--CDALBERT_SANITIZE=ON'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `sanitizer build failed:\n${build.stdout}\n${build.stderr}`);
  const binary = join(buildDir, 'Release', 'albert_node.node');
  assert.ok(existsSync(binary));

  const libasan = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
  const files = [
    '20.model.load',
    '21.model.goldens',
    '22.model.forward',
    '23.model.packed',
    '24.model.dtype',
    '25.runtime.threads',
    '26.kernels.gemm',
    '27.model.heads',
    '28.pipelines',
    '30.fuzz.parsers',
    '40.tokenizer.sentencepiece',
    '41.tokenizer.albert',
    '42.tokenizer.wordpiece',
    '43.tokenizer.json',
    '44.tokenizer.api',
    '45.tokenizer.fuzz',
    '50.tf.checkpoint',
    '51.tf.bad-input',
    '52.torch-bin',
    '55.model.sharing',
  ].map((f) => join('test', `${f}.test.mjs`));
  // A nested `node --test` must not think it reports to this runner.
  const { NODE_TEST_CONTEXT: _context, ...parentEnv } = process.env;
  const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=tap', ...files], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...parentEnv,
      LD_PRELOAD: libasan,
      // V8 itself is not instrumented: leak checks would report the runtime, not this addon.
      ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
      ALBERT_NODE_BINARY: binary,
      ALBERT_NODE_TEST_TINY_ONLY: '1',
      ALBERT_NODE_TEST_SANITIZED: '1',
      FUZZ_CASES: '3000',
      ALBERT_NODE_STRESS_ROUNDS: '200',
    },
  });
  const output = `${run.stdout}\n${run.stderr}`;
  const summary = output.split('\n').filter((l) => /^# (tests|pass|fail)/.test(l)).join(', ');
  t.diagnostic(`sanitized run: ${summary}`);
  assert.doesNotMatch(output, /AddressSanitizer|runtime error:|UndefinedBehaviorSanitizer/, output.slice(-4000));
  assert.equal(run.status, 0, output.slice(-4000));
});
