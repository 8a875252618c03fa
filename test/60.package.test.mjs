// The published package, for real: `npm pack`, then install the tarball into an empty project whose PATH has
// no compiler, make or Python (so the prebuilt binary must be what loads), run a smoke test through require()
// and import under Node 18, 20, 22 and 24, and install the tarball without prebuilds, which must build from
// source. Linux x64 only (the prebuilt binary here is this machine's build).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { AlbertModel } from '../dist/index.js';
import { fixture, repoRoot } from './helpers/fixtures.mjs';
import { tempDir } from './helpers/temp-model.mjs';

const supported = process.platform === 'linux' && process.arch === 'x64' && spawnSync('tar', ['--version']).status === 0;
const model = fixture('models', 'albert-tiny');
const input = [[2, 15, 99, 1024, 7, 3]];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed (${result.error?.message ?? result.status}):\n${output.slice(-4000)}`);
  return result.stdout;
}

/** npm's own CLI script, run with this node (so a PATH without npm still works). */
function npmCli() {
  if (process.env.npm_execpath && existsSync(process.env.npm_execpath)) return process.env.npm_execpath;
  const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  return join(dirname(realpathSync(npm)), 'npm-cli.js');
}

const SMOKE = `
const { AlbertModel } = require('albert-node');
(async () => {
  const model = await AlbertModel.fromPretrained(process.argv[2]);
  const out = await model.forward({ inputIds: ${JSON.stringify(input)} });
  console.log(JSON.stringify({ node: process.version, values: Array.from(out.lastHiddenState.data.subarray(0, 8)), kernel: model.info.kernel }));
  model.dispose();
})().catch((error) => { console.error(error); process.exit(1); });
`;
const SMOKE_ESM = `
import { AlbertModel, Tokenizer } from 'albert-node';
const model = await AlbertModel.fromPretrained(process.argv[2]);
const tokenizer = await Tokenizer.fromPretrained(process.argv[2]);
const out = await model.forward({ inputIds: ${JSON.stringify(input)} });
console.log(JSON.stringify({ node: process.version, values: Array.from(out.lastHiddenState.data.subarray(0, 8)), ids: tokenizer.encode('hello').ids }));
model.dispose();
`;

async function expectedValues() {
  const m = await AlbertModel.fromPretrained(model);
  const out = await m.forward({ inputIds: input });
  m.dispose();
  return Array.from(out.lastHiddenState.data.subarray(0, 8));
}

/** An empty project with the smoke scripts. */
function project(root, name) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  writeFileSync(join(dir, 'smoke.cjs'), SMOKE);
  writeFileSync(join(dir, 'smoke.mjs'), SMOKE_ESM);
  return dir;
}

function installEnv(extra) {
  const { NODE_TEST_CONTEXT: _context, npm_config_prefix: _prefix, ...env } = process.env;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

describe('the npm package', { skip: !supported && 'needs Linux x64 with tar' }, () => {
  const root = tempDir();
  let tarball;
  let prebuiltTarball;

  it('packs lean: the built API, its types, the native sources and build files, nothing else', (t) => {
    const [info] = JSON.parse(run(process.execPath, [npmCli(), 'pack', '--ignore-scripts', '--json', '--pack-destination', root], { cwd: repoRoot }));
    tarball = join(root, info.filename);
    const files = info.files.map((f) => f.path);
    for (const needed of ['dist/index.js', 'dist/index.d.ts', 'binding.gyp', 'CMakeLists.txt', 'native/sources.json', 'native/sources.js', 'package.json', 'README.md']) {
      assert.ok(files.includes(needed), `the package lacks ${needed}`);
    }
    for (const f of files) assert.doesNotMatch(f, /^(test|bench|build[^/]*|node_modules|tools|\.ci)\//, `${f} should not be packed`);
    t.diagnostic(`tarball ${(statSync(tarball).size / 1024).toFixed(0)} KiB, unpacked ${(info.unpackedSize / 1024).toFixed(0)} KiB, ${files.length} files`);
    assert.ok(statSync(tarball).size < 1 << 20, 'the tarball (without prebuilds) stays under 1 MiB');

    // What `npm run prebuild` (prebuildify --napi --strip --tag-libc) adds before publishing: this build.
    const extract = join(root, 'prebuilt');
    mkdirSync(extract);
    run('tar', ['-xzf', tarball, '-C', extract]);
    mkdirSync(join(extract, 'package', 'prebuilds', 'linux-x64'), { recursive: true });
    copyFileSync(join(repoRoot, 'build', 'Release', 'albert_node.node'), join(extract, 'package', 'prebuilds', 'linux-x64', 'albert-node.glibc.node'));
    prebuiltTarball = join(root, 'albert-node-prebuilt.tgz');
    run('tar', ['-czf', prebuiltTarball, '-C', extract, 'package']);
  });

  it('installs with no compiler on the PATH and loads the prebuilt binary, under require and import', async (t) => {
    const app = project(root, 'app-prebuilt');
    const bin = join(root, 'only-node-bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs install scripts through sh
    for (const tool of ['g++', 'gcc', 'make', 'python3', 'python', 'c++', 'cc', 'node-gyp']) {
      assert.notEqual(spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { env: { PATH: bin } }).status, 0, `${tool} must not be visible`);
    }
    run(process.execPath, [npmCli(), 'install', prebuiltTarball, '--prefer-offline'], { cwd: app, env: installEnv({ PATH: bin }) });
    const installed = join(app, 'node_modules', 'albert-node');
    assert.ok(existsSync(join(installed, 'prebuilds', 'linux-x64', 'albert-node.glibc.node')));
    assert.ok(!existsSync(join(installed, 'build')), 'nothing was compiled');
    const expected = await expectedValues();
    const cjs = JSON.parse(run(process.execPath, ['smoke.cjs', model], { cwd: app, env: installEnv({ PATH: bin }) }));
    assert.deepEqual(cjs.values, expected);
    const esm = JSON.parse(run(process.execPath, ['smoke.mjs', model], { cwd: app, env: installEnv({ PATH: bin }) }));
    assert.deepEqual(esm.values, expected);
    assert.ok(esm.ids.length > 2);
    t.diagnostic(`prebuilt binary loaded under ${cjs.node} (${cjs.kernel} kernels)`);
  });

  it('the same prebuilt binary runs under Node 18, 22 and 24 (Node binaries from the npm registry)', async (t) => {
    const app = join(root, 'app-prebuilt');
    const expected = await expectedValues();
    for (const major of [18, 22, 24]) {
      const out = run(process.execPath, [npmCli(), 'exec', '--yes', '--package', `node@${major}`, '--', 'node', 'smoke.cjs', model], {
        cwd: app,
        env: installEnv({}),
        timeout: 600_000,
      });
      const result = JSON.parse(out.trim().split('\n').pop());
      assert.match(result.node, new RegExp(`^v${major}\\.`));
      assert.deepEqual(result.values, expected, `Node ${major}`);
      t.diagnostic(`${result.node}: ok`);
    }
  });

  it('installs without prebuilds by building from source', async () => {
    const app = project(root, 'app-source');
    run(process.execPath, [npmCli(), 'install', tarball, '--prefer-offline'], { cwd: app, env: installEnv({ JOBS: 'max' }), timeout: 900_000 });
    const installed = join(app, 'node_modules', 'albert-node');
    assert.ok(existsSync(join(installed, 'build', 'Release', 'albert_node.node')), 'built from source');
    const cjs = JSON.parse(run(process.execPath, ['smoke.cjs', model], { cwd: app }));
    assert.deepEqual(cjs.values, await expectedValues());
  });
});

describe('loading inside Electron apps', () => {
  it('reads the binaries from app.asar.unpacked when the package sits inside app.asar', async () => {
    const { outsideAsar } = await import('../dist/binding.js');
    assert.equal(outsideAsar('/opt/App/resources/app.asar/node_modules/albert-node'), '/opt/App/resources/app.asar.unpacked/node_modules/albert-node');
    assert.equal(outsideAsar('C:\\App\\resources\\app.asar\\node_modules\\albert-node'), 'C:\\App\\resources\\app.asar.unpacked\\node_modules\\albert-node');
    assert.equal(outsideAsar('/home/me/app.asarx/node_modules/albert-node'), '/home/me/app.asarx/node_modules/albert-node');
    assert.equal(outsideAsar('/home/me/project/node_modules/albert-node'), '/home/me/project/node_modules/albert-node');
  });
});
