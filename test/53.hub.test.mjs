// Models from the Hugging Face Hub, against a local fake Hub (test/helpers/fake-hub.mjs): the cache layout
// (blobs, snapshots, refs, .no_exist), reuse without network, revisions, resumed and verified downloads, tokens
// (never sent to the storage host), 404s, offline mode, concurrent calls and processes, progress, and that the
// downloaded model computes what the fixture folder does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AlbertForSequenceClassification, AlbertModel, ErrorCodes, pipeline, Tokenizer } from '../dist/index.js';
import { downloadModel, isHubRepoId } from '../dist/hub.js';
import { rejectsWith } from './helpers/errors.mjs';
import { commitOf, folderFiles, startFakeHub } from './helpers/fake-hub.mjs';
import { fixture, repoRoot } from './helpers/fixtures.mjs';
import { tempFolder } from './helpers/temp.mjs';
import { readRawTensors } from './helpers/temp-model.mjs';
import { encodeSafetensors } from './helpers/write-safetensors.mjs';

const TINY = 'albert-node-test/albert-tiny';
const SEQCLS = 'albert-node-test/albert-tiny-seqcls';
const PRIVATE = 'albert-node-test/private-tiny';
const SHARDED = 'albert-node-test/albert-tiny-sharded';
const TORCH = 'albert-node-test/albert-tiny-torch';
const NO_CONFIG = 'albert-node-test/no-config';
const BAD_INDEX = 'albert-node-test/bad-index';
const SOLO = 'albert-tiny-solo'; // no organisation

const tinyFolder = fixture('models', 'albert-tiny');
const tiny = folderFiles(tinyFolder);
const seqcls = folderFiles(fixture('models', 'albert-tiny-seqcls'));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const MODEL_SHA = sha256(tiny['model.safetensors']);

/** albert-tiny with its weights in two shards. */
function shardedFiles() {
  const tensors = readRawTensors(join(tinyFolder, 'model.safetensors'));
  const half = Math.ceil(tensors.length / 2);
  const files = { ...tiny };
  delete files['model.safetensors'];
  const weightMap = {};
  [tensors.slice(0, half), tensors.slice(half)].forEach((part, i) => {
    const name = `model-0000${i + 1}-of-00002.safetensors`;
    files[name] = encodeSafetensors(part);
    for (const t of part) weightMap[t.name] = name;
  });
  files['model.safetensors.index.json'] = Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return files;
}

function torchFiles() {
  const files = folderFiles(fixture('torch-bin', 'albert-tiny-seqcls-fp16'));
  assert.ok(files['pytorch_model.bin'] && !files['model.safetensors']);
  return files;
}

const REPOS = {
  [TINY]: { revisions: { main: tiny, 'v1.0': seqcls, 'refs/pr/1': tiny } },
  [SEQCLS]: { revisions: { main: seqcls } },
  [PRIVATE]: { revisions: { main: tiny }, token: 'secret' },
  [SHARDED]: { revisions: { main: shardedFiles() } },
  [TORCH]: { revisions: { main: torchFiles() } },
  [NO_CONFIG]: { revisions: { main: { 'spiece.model': tiny['spiece.model'] } } },
  [BAD_INDEX]: {
    revisions: { main: { 'config.json': tiny['config.json'], 'model.safetensors.index.json': Buffer.from(JSON.stringify({ weight_map: { 'pooler.bias': '../evil.safetensors' } })) } },
  },
  [SOLO]: { revisions: { main: tiny } },
};

const ENV = ['HF_ENDPOINT', 'HF_TOKEN', 'HF_HUB_OFFLINE', 'ALBERT_NODE_CACHE'];
const savedEnv = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let hub;

before(async () => {
  hub = await startFakeHub(REPOS);
  for (const k of ENV) delete process.env[k];
  process.env.HF_ENDPOINT = hub.endpoint;
});
after(async () => {
  await hub.close();
  for (const k of ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});
beforeEach(() => {
  hub.requests.length = 0;
  hub.truncate.clear();
  hub.corrupt.clear();
  hub.slowMs = 0;
  hub.stall = false;
  process.env.HF_ENDPOINT = hub.endpoint;
  delete process.env.HF_TOKEN;
  delete process.env.HF_HUB_OFFLINE;
});

const repoDir = (cache, repo) => join(cache, 'hub', `models--${repo.replace('/', '--')}`);

/** Every file of the snapshot equals the repository's, every blob is named by its ETag, nothing is half-written. */
function assertConsistent(cache, repo, revision, files) {
  const root = repoDir(cache, repo);
  const commit = commitOf(repo, revision);
  const snapshot = join(root, 'snapshots', commit);
  for (const [name, bytes] of Object.entries(files)) {
    assert.ok(readFileSync(join(snapshot, name)).equals(bytes), `${name} in the snapshot differs`);
  }
  const blobs = readdirSync(join(root, 'blobs'));
  assert.deepEqual(blobs.filter((b) => /\.(incomplete|lock|tmp)$/.test(b)), [], 'half-written files or locks left');
  for (const blob of blobs) {
    const bytes = readFileSync(join(root, 'blobs', blob));
    if (/^[0-9a-f]{64}$/.test(blob)) assert.equal(sha256(bytes), blob, `blob ${blob} holds other bytes`);
  }
  assert.deepEqual(readdirSync(snapshot).filter((n) => n.endsWith('.tmp')), []);
  return { root, snapshot, commit };
}

async function forwardOf(model) {
  const out = await model.forward({ inputIds: [[2, 10, 25, 7, 3], [2, 40, 3, 0, 0]], attentionMask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]] });
  return out.lastHiddenState.data;
}

describe('isHubRepoId', () => {
  it('accepts name and org/name by the Hub rules; local paths win', () => {
    for (const id of ['albert-base-v2', 'albert/albert-base-v2', 'org_1/name.v2', 'a', 'Org/N_a-m.e', `${'a'.repeat(96)}/${'b'.repeat(96)}`]) {
      assert.equal(isHubRepoId(id), true, id);
    }
    for (const id of ['', '/abs/path', './rel', '../x', 'a/b/c', '-a', 'a-', '.a', 'a.', 'a..b', 'a--b', 'org/', '/name', 'a b', 'a\\b', 'C:/x', 'x'.repeat(97), 'ok/' + 'x'.repeat(97), 42, null]) {
      assert.equal(isHubRepoId(id), false, String(id));
    }
    // Tests run from the repository root, where these exist.
    assert.equal(isHubRepoId('lib'), false);
    assert.equal(isHubRepoId('test/helpers'), false);
  });
});

describe('downloads', () => {
  it('downloads a repo into blobs/snapshots/refs, then loads it again with the Hub stopped', async (t) => {
    const cache = tempFolder(t);
    const model = await AlbertModel.fromPretrained(TINY, { cacheDir: cache });
    const { root, snapshot, commit } = assertConsistent(cache, TINY, 'main', tiny);
    assert.equal(model.path, snapshot);
    assert.deepEqual(model.source.hub, { repo: TINY, revision: 'main', commit });
    assert.equal(readFileSync(join(root, 'refs', 'main'), 'utf8'), commit);
    assert.ok(existsSync(join(root, 'blobs', MODEL_SHA)), 'the LFS blob is named by its sha256');
    // Optional files the repository lacks are remembered, not asked for again.
    for (const name of ['vocab.txt', 'added_tokens.json']) assert.ok(existsSync(join(root, '.no_exist', commit, name)), name);
    assert.ok(!existsSync(join(snapshot, 'goldens.json')));
    const expected = await forwardOf(model);
    model.dispose();

    const reference = await AlbertModel.fromPretrained(tinyFolder);
    assert.deepEqual(expected, await forwardOf(reference), 'the downloaded model computes what the fixture folder does');
    reference.dispose();

    // A second load (model and tokenizer) makes no request at all: the Hub is unreachable now.
    hub.requests.length = 0;
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9'; // nothing listens there
    const again = await AlbertModel.fromPretrained(TINY, { cacheDir: cache });
    assert.equal(again.path, snapshot);
    assert.deepEqual(await forwardOf(again), expected);
    again.dispose();
    const tokenizer = await Tokenizer.fromPretrained(TINY, { cacheDir: cache });
    const local = await Tokenizer.fromPretrained(tinyFolder);
    assert.deepEqual(tokenizer.encode('Hello world, downloads!').inputIds, local.encode('Hello world, downloads!').inputIds);
    assert.deepEqual(hub.requests, []);
  });

  it('a repo id without an organisation; ALBERT_NODE_CACHE is the default cache', async (t) => {
    const cache = tempFolder(t);
    process.env.ALBERT_NODE_CACHE = cache;
    try {
      const folder = await downloadModel(SOLO);
      assert.equal(folder, join(cache, 'hub', 'models--albert-tiny-solo', 'snapshots', commitOf(SOLO, 'main')));
      assertConsistent(cache, SOLO, 'main', tiny);
    } finally {
      delete process.env.ALBERT_NODE_CACHE;
    }
  });

  it('maps revisions to commits: refs/<revision>, tags, refs/pr/N, and a commit used as is', async (t) => {
    const cache = tempFolder(t);
    const main = await downloadModel(TINY, { cacheDir: cache });
    const tagged = await downloadModel(TINY, { cacheDir: cache, revision: 'v1.0' });
    const pr = await downloadModel(TINY, { cacheDir: cache, revision: 'refs/pr/1' });
    const root = repoDir(cache, TINY);
    assert.equal(readFileSync(join(root, 'refs', 'v1.0'), 'utf8'), commitOf(TINY, 'v1.0'));
    assert.equal(readFileSync(join(root, 'refs', 'refs', 'pr', '1'), 'utf8'), commitOf(TINY, 'refs/pr/1'));
    assert.notEqual(main, tagged);
    assert.deepEqual(JSON.parse(readFileSync(join(tagged, 'config.json'), 'utf8')), JSON.parse(seqcls['config.json']));
    assertConsistent(cache, TINY, 'v1.0', seqcls);
    assertConsistent(cache, TINY, 'refs/pr/1', tiny);
    assert.ok(hub.requests.some((r) => r.url.includes('/resolve/refs%2Fpr%2F1/config.json')));
    // Files after config.json are asked for by commit, so a branch moving mid-download cannot mix commits.
    assert.ok(hub.requestsFor('spiece.model', { server: 'hub' }).every((r) => /\/resolve\/[0-9a-f]{40}\//.test(r.url)));
    // Same blobs are shared between commits: main and refs/pr/1 hold identical files.
    assert.equal(readdirSync(join(root, 'blobs')).length, new Set([...Object.values(tiny), ...Object.values(seqcls)].map(sha256)).size);

    // A commit is used as is: no refs entry, and it is reused from the cache without a request.
    hub.requests.length = 0;
    const commit = commitOf(TINY, 'v1.0');
    const byCommit = await downloadModel(TINY, { cacheDir: cache, revision: commit });
    assert.equal(byCommit, tagged);
    assert.deepEqual(hub.requests, []);
    assert.ok(!existsSync(join(root, 'refs', commit)));

    const fresh = tempFolder(t);
    const pinned = await downloadModel(TINY, { cacheDir: fresh, revision: commit });
    assert.ok(hub.requests.some((r) => r.url.includes(`/resolve/${commit}/config.json`)));
    assert.ok(!existsSync(join(repoDir(fresh, TINY), 'refs')), 'a commit writes no refs');
    assert.ok(readFileSync(join(pinned, 'config.json')).equals(seqcls['config.json']));
  });

  it('resumes a download cut off mid-way with a Range request', async (t) => {
    const cache = tempFolder(t);
    hub.truncate.set('model.safetensors', 1);
    await downloadModel(TINY, { cacheDir: cache });
    const gets = hub.requestsFor('model.safetensors', { server: 'storage', method: 'GET' });
    assert.equal(gets.length, 2);
    assert.equal(gets[0].headers.range, undefined);
    const half = tiny['model.safetensors'].length >> 1;
    assert.equal(gets[1].headers.range, `bytes=${half}-`);
    assertConsistent(cache, TINY, 'main', tiny);
  });

  it('a download that keeps failing leaves its partial file, and the next call resumes it', async (t) => {
    const cache = tempFolder(t);
    hub.truncate.set('model.safetensors', Infinity);
    await rejectsWith(downloadModel(TINY, { cacheDir: cache }), ErrorCodes.NETWORK, hub.storage, 'model.safetensors');
    const part = join(repoDir(cache, TINY), 'blobs', `${MODEL_SHA}.incomplete`);
    const partial = readFileSync(part).length;
    assert.ok(partial > 0 && partial < tiny['model.safetensors'].length);
    assert.ok(!existsSync(join(repoDir(cache, TINY), 'blobs', `${MODEL_SHA}.lock`)), 'the lock is released');

    hub.truncate.clear();
    hub.requests.length = 0;
    await downloadModel(TINY, { cacheDir: cache });
    const gets = hub.requestsFor('model.safetensors', { server: 'storage', method: 'GET' });
    assert.deepEqual(gets.map((r) => r.headers.range), [`bytes=${partial}-`]);
    assertConsistent(cache, TINY, 'main', tiny);
  });

  it('a sha256 mismatch is a coded error and leaves no blob', async (t) => {
    const cache = tempFolder(t);
    hub.corrupt.add('model.safetensors');
    await rejectsWith(downloadModel(TINY, { cacheDir: cache }), ErrorCodes.NETWORK, 'sha256', 'model.safetensors', MODEL_SHA);
    const root = repoDir(cache, TINY);
    assert.deepEqual(readdirSync(join(root, 'blobs')).filter((b) => b.startsWith(MODEL_SHA)), []);
    assert.ok(!existsSync(join(root, 'snapshots', commitOf(TINY, 'main'), 'model.safetensors')));
    hub.corrupt.clear();
    await downloadModel(TINY, { cacheDir: cache });
    assertConsistent(cache, TINY, 'main', tiny);
  });

  it('downloads sharded weights (index and every shard) and loads them', async (t) => {
    const cache = tempFolder(t);
    const model = await AlbertModel.fromPretrained(SHARDED, { cacheDir: cache });
    assertConsistent(cache, SHARDED, 'main', REPOS[SHARDED].revisions.main);
    const reference = await AlbertModel.fromPretrained(tinyFolder);
    assert.deepEqual(await forwardOf(model), await forwardOf(reference));
    model.dispose();
    reference.dispose();
    hub.requests.length = 0;
    await downloadModel(SHARDED, { cacheDir: cache, localFilesOnly: true });
    assert.deepEqual(hub.requests, []);
  });

  it('falls back to pytorch_model.bin when there are no safetensors', async (t) => {
    const cache = tempFolder(t);
    const folder = await downloadModel(TORCH, { cacheDir: cache });
    assertConsistent(cache, TORCH, 'main', REPOS[TORCH].revisions.main);
    const noExist = join(repoDir(cache, TORCH), '.no_exist', commitOf(TORCH, 'main'));
    assert.ok(existsSync(join(noExist, 'model.safetensors')) && existsSync(join(noExist, 'model.safetensors.index.json')));
    assert.ok(!existsSync(join(folder, 'model.safetensors')));
    hub.requests.length = 0;
    assert.equal(await downloadModel(TORCH, { cacheDir: cache }), folder);
    assert.deepEqual(hub.requests, []);
  });

  it('a shard index naming a file outside the folder is refused', async (t) => {
    const cache = tempFolder(t);
    await rejectsWith(downloadModel(BAD_INDEX, { cacheDir: cache }), ErrorCodes.INVALID_SAFETENSORS, '../evil.safetensors');
    assert.equal(hub.requests.filter((r) => r.url.includes('evil')).length, 0);
    assert.ok(!existsSync(join(cache, 'hub', 'evil.safetensors')) && !existsSync(join(repoDir(cache, BAD_INDEX), 'snapshots', 'evil.safetensors')));
  });

  it('head classes and pipelines take Hub ids and pass the options through', async (t) => {
    const cache = tempFolder(t);
    await rejectsWith(AlbertForSequenceClassification.fromPretrained(PRIVATE, { cacheDir: cache }), ErrorCodes.NETWORK, 'token');
    const head = await AlbertForSequenceClassification.fromPretrained(SEQCLS, { cacheDir: cache, revision: 'main' });
    const local = await AlbertForSequenceClassification.fromPretrained(fixture('models', 'albert-tiny-seqcls'));
    const ids = { inputIds: [[2, 10, 25, 3]] };
    assert.deepEqual((await head.forward(ids)).logits.data, (await local.forward(ids)).logits.data);
    head.dispose();
    local.dispose();
    hub.requests.length = 0;
    const classify = await pipeline('text-classification', SEQCLS, { cacheDir: cache, localFilesOnly: true });
    const reference = await pipeline('text-classification', fixture('models', 'albert-tiny-seqcls'));
    assert.deepEqual(await classify('a hub model'), await reference('a hub model'));
    classify.dispose();
    reference.dispose();
    assert.deepEqual(hub.requests, []);
    await rejectsWith(pipeline('feature-extraction', TINY, { cacheDir: cache, localFilesOnly: true }), ErrorCodes.FILE_NOT_FOUND, 'offline');
    const events = [];
    const extractor = await pipeline('feature-extraction', PRIVATE, { cacheDir: cache, token: 'secret', onProgress: (p) => events.push(p.file) });
    extractor.dispose();
    assert.ok(events.includes('model.safetensors'));
  });

  it('reports progress with growing byte counts', async (t) => {
    const cache = tempFolder(t);
    const events = [];
    await AlbertModel.fromPretrained(TINY, { cacheDir: cache, onProgress: (p) => events.push(p) });
    const size = tiny['model.safetensors'].length;
    const model = events.filter((e) => e.file === 'model.safetensors');
    assert.ok(model.length >= 2);
    for (let i = 1; i < model.length; i++) assert.ok(model[i].loaded >= model[i - 1].loaded);
    assert.equal(model.at(-1).loaded, size);
    assert.ok(model.every((e) => e.total === size));
    assert.ok(events.some((e) => e.file === 'config.json' && e.loaded === tiny['config.json'].length));
  });
});

describe('tokens and errors', () => {
  it('a private repo needs a token; the token never goes to the storage host', async (t) => {
    const cache = tempFolder(t);
    await rejectsWith(downloadModel(PRIVATE, { cacheDir: cache }), ErrorCodes.NETWORK, '401', PRIVATE, 'private', 'HF_TOKEN', 'token');
    await rejectsWith(downloadModel(PRIVATE, { cacheDir: cache, token: 'wrong' }), ErrorCodes.NETWORK, '401');

    hub.requests.length = 0;
    await AlbertModel.fromPretrained(PRIVATE, { cacheDir: cache, token: 'secret' }).then((m) => m.dispose());
    assertConsistent(cache, PRIVATE, 'main', tiny);
    const toHub = hub.requests.filter((r) => r.server === 'hub');
    const toStorage = hub.requests.filter((r) => r.server === 'storage');
    assert.ok(toHub.length > 0 && toHub.every((r) => r.headers.authorization === 'Bearer secret'));
    assert.ok(toStorage.length > 0 && toStorage.every((r) => r.headers.authorization === undefined));

    const viaEnv = tempFolder(t);
    process.env.HF_TOKEN = 'secret';
    await downloadModel(PRIVATE, { cacheDir: viaEnv });
    assertConsistent(viaEnv, PRIVATE, 'main', tiny);
  });

  it('a missing repo, revision or config.json is FILE_NOT_FOUND naming them', async (t) => {
    const cache = tempFolder(t);
    await rejectsWith(AlbertModel.fromPretrained('albert-node-test/no-such-model', { cacheDir: cache }), ErrorCodes.FILE_NOT_FOUND, 'albert-node-test/no-such-model');
    await rejectsWith(downloadModel(TINY, { cacheDir: cache, revision: 'v9' }), ErrorCodes.FILE_NOT_FOUND, TINY, 'v9');
    await rejectsWith(downloadModel(NO_CONFIG, { cacheDir: cache }), ErrorCodes.FILE_NOT_FOUND, NO_CONFIG, 'config.json', 'main');
    await rejectsWith(downloadModel(TINY, { cacheDir: cache, files: ['config.json', 'nope.bin'] }), ErrorCodes.FILE_NOT_FOUND, 'nope.bin', TINY);
  });

  it('an unreachable Hub or a silent one is a NETWORK error naming the URL', async (t) => {
    const cache = tempFolder(t);
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    await rejectsWith(downloadModel(TINY, { cacheDir: cache }), ErrorCodes.NETWORK, `http://127.0.0.1:9/${TINY}/resolve/main/config.json`);
    process.env.HF_ENDPOINT = hub.endpoint;
    hub.stall = true;
    await rejectsWith(downloadModel(TINY, { cacheDir: cache, timeoutMs: 50 }), ErrorCodes.NETWORK, `${hub.endpoint}/${TINY}/resolve/main/config.json`, '50 ms');
  });

  it('bad arguments are INVALID_INPUT TypeErrors', async () => {
    const bad = [
      () => downloadModel('../escape'),
      () => downloadModel('a/b/c'),
      () => downloadModel(TINY, { revision: '../../etc' }),
      () => downloadModel(TINY, { revision: 7 }),
      () => downloadModel(TINY, { files: ['../x'] }),
      () => downloadModel(TINY, { localFilesOnly: 'yes' }),
      () => downloadModel(TINY, { onProgress: 1 }),
      () => AlbertModel.fromPretrained(TINY, { token: 5 }),
      () => AlbertModel.fromPretrained(TINY, { revision: '' }),
      () => Tokenizer.fromPretrained(TINY, { localFilesOnly: 1 }),
    ];
    for (const call of bad) await assert.rejects(call(), (e) => e instanceof TypeError && e.code === ErrorCodes.INVALID_INPUT);
  });
});

describe('offline mode', () => {
  for (const how of ['option', 'HF_HUB_OFFLINE']) {
    it(`${how}: a cached model loads without a request; an uncached one is FILE_NOT_FOUND`, async (t) => {
      const cache = tempFolder(t);
      await downloadModel(TINY, { cacheDir: cache });
      hub.requests.length = 0;
      const offline = how === 'option' ? { localFilesOnly: true } : {};
      if (how === 'HF_HUB_OFFLINE') process.env.HF_HUB_OFFLINE = '1';
      const model = await AlbertModel.fromPretrained(TINY, { cacheDir: cache, ...offline });
      model.dispose();
      await rejectsWith(downloadModel(SEQCLS, { cacheDir: cache, ...offline }), ErrorCodes.FILE_NOT_FOUND, SEQCLS, 'not in the cache', 'offline');
      await rejectsWith(downloadModel(TINY, { cacheDir: cache, revision: 'v1.0', ...offline }), ErrorCodes.FILE_NOT_FOUND, 'v1.0', 'offline');
      await rejectsWith(Tokenizer.fromPretrained(SEQCLS, { cacheDir: cache, ...offline }), ErrorCodes.FILE_NOT_FOUND, 'offline');
      assert.deepEqual(hub.requests, []);
    });
  }

  it('a tokenizer alone downloads no weights', async (t) => {
    const cache = tempFolder(t);
    await Tokenizer.fromPretrained(SEQCLS, { cacheDir: cache });
    assert.deepEqual(hub.requestsFor('model.safetensors'), []);
    await rejectsWith(AlbertModel.fromPretrained(SEQCLS, { cacheDir: cache, localFilesOnly: true }), ErrorCodes.FILE_NOT_FOUND, 'model.safetensors');
  });
});

describe('concurrency', () => {
  it('two concurrent loads in one process download each file once', async (t) => {
    const cache = tempFolder(t);
    hub.slowMs = 5;
    const [a, b] = await Promise.all([AlbertModel.fromPretrained(TINY, { cacheDir: cache }), AlbertModel.fromPretrained(TINY, { cacheDir: cache })]);
    assert.equal(a.path, b.path);
    assert.deepEqual(await forwardOf(a), await forwardOf(b));
    a.dispose();
    b.dispose();
    assert.equal(hub.requestsFor('model.safetensors', { server: 'storage', method: 'GET' }).length, 1);
    assertConsistent(cache, TINY, 'main', tiny);
  });

  it('two processes loading at once leave a consistent cache, with one download of the weights', async (t) => {
    const cache = tempFolder(t);
    hub.slowMs = 25;
    const script = `
      const { AlbertModel } = require(${JSON.stringify(join(repoRoot, 'dist', 'index.js'))});
      AlbertModel.fromPretrained(${JSON.stringify(TINY)}, { cacheDir: ${JSON.stringify(cache)} })
        .then((m) => { console.log(m.path); m.dispose(); }, (e) => { console.error(e); process.exit(1); });`;
    const run = () =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, HF_ENDPOINT: hub.endpoint }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => resolve({ code, out: out.trim(), err }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    assert.equal(a.out, b.out);
    const { snapshot } = assertConsistent(cache, TINY, 'main', tiny);
    assert.equal(a.out, snapshot);
    // Both processes reached the weights while the first was still downloading them (so the lock was contended)...
    assert.equal(hub.requestsFor('model.safetensors', { server: 'hub', method: 'HEAD' }).length, 2);
    // ...and only one downloaded them.
    assert.equal(hub.requestsFor('model.safetensors', { server: 'storage', method: 'GET' }).length, 1);
  });

  it('a lock left by a dead process, or unrefreshed for long, is taken over', async (t) => {
    for (const stale of ['dead pid', 'old']) {
      const cache = tempFolder(t);
      const blobs = join(repoDir(cache, TINY), 'blobs');
      mkdirSync(blobs, { recursive: true });
      const lock = join(blobs, `${MODEL_SHA}.lock`);
      if (stale === 'dead pid') {
        const dead = await new Promise((resolve) => {
          const child = spawn(process.execPath, ['-e', '']);
          child.on('exit', () => resolve(child.pid));
        });
        writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), token: 'x' }));
      } else {
        writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'x' }));
        const old = new Date(Date.now() - 120_000);
        utimesSync(lock, old, old);
      }
      const started = Date.now();
      await downloadModel(TINY, { cacheDir: cache });
      assert.ok(Date.now() - started < 10_000, stale);
      assertConsistent(cache, TINY, 'main', tiny);
    }
  });
});
