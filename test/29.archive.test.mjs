// Unpacking Google's .tar.gz releases: the fixture archives, the cache (reuse, races), tar dialects (ustar
// prefix, GNU long names, pax, base-256 sizes), and every crafted archive that must be refused without
// leaving anything behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isArchivePath, unpackArchive } from '../dist/archive.js';
import { ErrorCodes } from '../dist/errors.js';
import { fixture } from './helpers/fixtures.mjs';
import { tempFolder } from './helpers/temp.mjs';
import { gnuLongName, paxEntry, tar, tarHeader, targz } from './helpers/write-tar.mjs';
import { rejectsWith } from './helpers/errors.mjs';

const FIXTURES = [
  { name: 'google-tiny', archive: fixture('tf', 'google-tiny', 'google-tiny.tar.gz') },
  { name: 'zh-google-tiny', archive: fixture('tf', 'zh-google-tiny', 'zh-google-tiny.tar.gz') },
];

/** <base>/cache is the cache; archives live in another folder, so <base> must only ever hold the cache. */
function sandbox(t) {
  const base = tempFolder(t);
  const archives = tempFolder(t);
  return {
    base,
    cache: join(base, 'cache'),
    write(name, bytes) {
      const path = join(archives, name);
      writeFileSync(path, bytes);
      return path;
    },
  };
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const tempFolders = (cache) => (existsSync(cache) ? readdirSync(cache).filter((n) => n.startsWith('tmp-')) : []);

/** Nothing but an empty cache is left: no temp folder, no unpacked folder, nothing beside or above the cache. */
function assertNothingWritten(box, escapes = []) {
  assert.deepEqual(readdirSync(box.base), existsSync(box.cache) ? ['cache'] : []);
  assert.deepEqual(tempFolders(box.cache), []);
  const archives = join(box.cache, 'archives');
  if (existsSync(archives)) assert.deepEqual(readdirSync(archives), []);
  for (const name of ['evil', 'x', 'b', ...escapes]) {
    assert.ok(!existsSync(join(box.base, name)), `${name} was written beside the cache`);
    assert.ok(!existsSync(join(box.cache, name)), `${name} was written inside the cache folder`);
  }
}

describe('fixture archives', () => {
  for (const { name, archive } of FIXTURES) {
    it(`unpacks ${name} to its single top folder, byte-identical to the fixture files`, async (t) => {
      const box = sandbox(t);
      const goldens = JSON.parse(readFileSync(join(dirname(archive), 'goldens.json'), 'utf8'));
      assert.ok(isArchivePath(archive));
      const folder = await unpackArchive(archive, { cacheDir: box.cache });
      assert.equal(basename(folder), goldens.archive.top_folder);
      assert.equal(dirname(dirname(folder)), join(box.cache, 'archives'));
      assert.ok(basename(dirname(folder)).startsWith(`${name}-`));
      const expected = goldens.archive.members.map((m) => m.slice(goldens.archive.top_folder.length + 1)).sort();
      assert.deepEqual(readdirSync(folder).sort(), expected);
      let compared = 0;
      for (const member of expected) {
        const unpacked = readFileSync(join(folder, member));
        const beside = join(dirname(archive), member);
        if (existsSync(beside)) {
          assert.ok(unpacked.equals(readFileSync(beside)), `${member} differs from the fixture file`);
          compared++;
        }
        const golden = goldens.files[member];
        if (golden) {
          assert.equal(unpacked.length, golden.bytes, member);
          assert.equal(sha256(unpacked), golden.sha256, member);
        }
      }
      assert.equal(compared, expected.length - 1, 'every member but the .meta is beside the archive');
      assert.deepEqual(tempFolders(box.cache), []);
    });
  }

  it('reuses the unpacked folder for the same, unchanged archive', async (t) => {
    const box = sandbox(t);
    const original = readFileSync(FIXTURES[0].archive);
    const archive = box.write('albert_tiny.tar.gz', original);
    utimesSync(archive, 1_600_000_000, 1_600_000_000);
    const first = await unpackArchive(archive, { cacheDir: box.cache });
    // Same size and mtime but garbage inside: a reused folder never reads it again.
    writeFileSync(archive, Buffer.alloc(original.length, 0x41));
    utimesSync(archive, 1_600_000_000, 1_600_000_000);
    const second = await unpackArchive(archive, { cacheDir: box.cache });
    assert.equal(second, first);
    assert.deepEqual(tempFolders(box.cache), []);
    assert.equal(readdirSync(join(box.cache, 'archives')).length, 1);
    // A changed mtime is a changed archive: a new key, and this time the garbage is read (and refused).
    utimesSync(archive, 1_600_000_100, 1_600_000_100);
    await rejectsWith(unpackArchive(archive, { cacheDir: box.cache }), ErrorCodes.INVALID_ARCHIVE, archive, 'gzip');
    assert.deepEqual(tempFolders(box.cache), []);
    assert.equal(readdirSync(join(box.cache, 'archives')).length, 1);
  });

  it('lets concurrent unpacks of the same archive all succeed with one folder', async (t) => {
    const box = sandbox(t);
    const archive = FIXTURES[1].archive;
    const folders = await Promise.all([1, 2, 3].map(() => unpackArchive(archive, { cacheDir: box.cache })));
    assert.equal(new Set(folders).size, 1);
    assert.deepEqual(readdirSync(box.cache), ['archives']);
    assert.equal(readdirSync(join(box.cache, 'archives')).length, 1);
    assert.ok(existsSync(join(folders[0], 'vocab_chinese.txt')));
  });

  it('defaults the cache folder to ALBERT_NODE_CACHE', async (t) => {
    const box = sandbox(t);
    const saved = process.env.ALBERT_NODE_CACHE;
    process.env.ALBERT_NODE_CACHE = box.cache;
    t.after(() => {
      if (saved === undefined) delete process.env.ALBERT_NODE_CACHE;
      else process.env.ALBERT_NODE_CACHE = saved;
    });
    const folder = await unpackArchive(box.write('env.tgz', targz([{ name: 'one/file.txt', data: 'x' }])));
    assert.equal(dirname(dirname(folder)), join(box.cache, 'archives'));
  });
});

describe('tar dialects', () => {
  async function unpack(t, entries, options) {
    const box = sandbox(t);
    const bytes = Buffer.isBuffer(entries) ? entries : targz(entries, options);
    return { box, folder: await unpackArchive(box.write('crafted.tar.gz', bytes), { cacheDir: box.cache }) };
  }
  const read = (folder, ...parts) => readFileSync(join(folder, ...parts), 'utf8');

  it('returns the unpack root when there are several top-level entries', async (t) => {
    const { box, folder } = await unpack(t, [
      { name: 'a.txt', data: 'A' },
      { name: 'b/', type: '5' },
      { name: 'b/c.txt', data: 'C' },
    ]);
    assert.equal(dirname(folder), join(box.cache, 'archives'));
    assert.deepEqual(readdirSync(folder).sort(), ['a.txt', 'b']);
    assert.equal(read(folder, 'b', 'c.txt'), 'C');
  });

  it('returns the unpack root when the single top-level entry is a file', async (t) => {
    const { box, folder } = await unpack(t, [{ name: 'only.txt', data: 'O' }]);
    assert.equal(dirname(folder), join(box.cache, 'archives'));
    assert.equal(read(folder, 'only.txt'), 'O');
  });

  it('normalizes ./ prefixes and skips the root entry', async (t) => {
    const { folder } = await unpack(t, [
      { name: './', type: '5' },
      { name: './top/', type: '5' },
      { name: './top/./a.txt', data: 'A' },
      { name: 'top//b.txt', data: 'B' },
    ]);
    assert.equal(basename(folder), 'top');
    assert.equal(read(folder, 'a.txt'), 'A');
    assert.equal(read(folder, 'b.txt'), 'B');
  });

  it('joins the ustar prefix, but not the old GNU header fields at the same offset', async (t) => {
    const { folder } = await unpack(t, [
      { prefix: 'top/deep', name: 'file.txt', data: 'P' },
      { name: 'top/gnu.txt', magic: 'gnu', data: 'G', extra: (block) => block.write('junk', 345, 'latin1') },
    ]);
    assert.equal(read(folder, 'deep', 'file.txt'), 'P');
    assert.equal(read(folder, 'gnu.txt'), 'G');
  });

  it('honours safe GNU long names and ignores long link names before files', async (t) => {
    const long = `top/${'n'.repeat(150)}/${'m'.repeat(90)}.txt`;
    const { folder } = await unpack(t, [gnuLongName(long), { name: 'top/placeholder', data: 'long' }, gnuLongName('whatever', 'K'), { name: 'top/k.txt', data: 'K' }]);
    assert.equal(read(folder, 'n'.repeat(150), `${'m'.repeat(90)}.txt`), 'long');
    assert.equal(read(folder, 'k.txt'), 'K');
    assert.ok(!existsSync(join(folder, 'placeholder')));
  });

  it('honours pax path and size, and ignores global pax headers', async (t) => {
    const name = `top/ünïcödé-${'p'.repeat(120)}.txt`;
    const { folder } = await unpack(t, [
      paxEntry({ comment: 'made by a test' }, 'g'),
      paxEntry({ path: name, size: '5', mtime: '1700000000.5' }),
      // The header's own size field says 0; pax wins.
      { name: 'top/placeholder', data: 'hello', size: 0 },
      { name: 'top/after.txt', data: 'after' },
    ]);
    assert.equal(read(folder, name.slice(4)), 'hello');
    assert.equal(read(folder, 'after.txt'), 'after');
  });

  it('parses GNU base-256 sizes', async (t) => {
    const rawSize = Buffer.alloc(12);
    rawSize[0] = 0x80;
    rawSize[11] = 3;
    const { folder } = await unpack(t, [{ name: 'top/b256.txt', data: 'abc', rawSize }]);
    assert.equal(read(folder, 'b256.txt'), 'abc');
  });

  it('accepts the signed-char checksum variant', async (t) => {
    const { folder } = await unpack(t, [{ name: 'top/é.txt', data: 'S', checksum: 'signed' }]);
    assert.equal(read(folder, 'é.txt'), 'S');
  });

  it('accepts archives without end blocks, or with a lone one, after a complete member', async (t) => {
    const entries = [{ name: 'top/a.txt', data: 'x'.repeat(700) }];
    const { folder } = await unpack(t, entries, { end: false });
    assert.equal(read(folder, 'a.txt').length, 700);
    const lone = Buffer.concat([tar(entries, { end: false }), Buffer.alloc(512)]);
    assert.equal(read((await unpack(t, gzipSync(lone))).folder, 'a.txt').length, 700);
  });

  it('treats old regular members with a trailing slash as folders, and repeated folders as one', async (t) => {
    const { folder } = await unpack(t, [
      { name: 'top/sub/', type: '\0' },
      { name: 'top/sub/', type: '5' },
      { name: 'top/sub/f.txt', data: 'F' },
      { name: 'top/empty.txt' },
    ]);
    assert.equal(read(folder, 'sub', 'f.txt'), 'F');
    assert.equal(read(folder, 'empty.txt'), '');
  });
});

describe('refused archives', () => {
  const outside = join(tmpdir(), `albert-node-abs-escape-${process.pid}`);
  const big = 100n * 2n ** 30n;
  const fileWithData = [{ name: 'top/file.bin', data: Buffer.alloc(2000, 7) }];
  const good = targz([{ name: 'top/a.txt', data: 'x'.repeat(5000) }]);
  const cases = [
    ['a ../ name', [{ name: '../evil', data: 'x' }], "'..'", '"../evil"'],
    ['a ../../ name', [{ name: '../../evil', data: 'x' }], "'..'"],
    ['an absolute name', [{ name: outside, data: 'x' }], 'absolute', outside],
    ['a name climbing out through a/../..', [{ name: 'a/../../b', data: 'x' }], "'..'"],
    ['a ustar prefix producing ..', [{ prefix: '..', name: 'evil', data: 'x' }], "'..'", '"../evil"'],
    ['a Windows drive', [{ name: 'C:evil', data: 'x' }], 'Windows drive'],
    ['a backslash', [{ name: '..\\evil', data: 'x' }], 'backslash'],
    ['an empty name', [{ name: '', data: 'x' }], 'empty name'],
    ['a symbolic link', [{ name: 'top/link', type: '2', linkName: '/etc/passwd' }], 'symbolic link', '/etc/passwd'],
    ['a hard link', [{ name: 'top/a', data: 'x' }, { name: 'top/hard', type: '1', linkName: 'top/a' }], 'hard link'],
    ['a character device', [{ name: 'top/dev', type: '3' }], 'character device'],
    ['a FIFO', [{ name: 'top/fifo', type: '6' }], 'FIFO'],
    ['an unknown member type', [{ name: 'top/what', type: 'Z' }], 'unsupported member type'],
    ['a GNU long name resolving to ../x', [gnuLongName('../x'), { name: 'placeholder', data: 'x' }], "'..'", '"../x"'],
    ['a pax path ../x', [paxEntry({ path: '../x' }), { name: 'placeholder', data: 'x' }], "'..'", '"../x"'],
    ['a pax path with a NUL byte', [paxEntry({ path: 'top/a\0b' }), { name: 'placeholder', data: 'x' }], 'NUL'],
    ['a malformed pax record', [{ name: 'pax', type: 'x', data: 'garbage\n' }, { name: 'top/a', data: 'x' }], 'pax record'],
    ['a pax header with no member after it', [paxEntry({ path: 'top/a' })], 'not followed by its member'],
    ['a member of 100 GiB', gzipSync(tar([{ name: 'top/huge', size: big }], { end: false })), 'maxBytes', String(64 * 2 ** 30)],
    ['a negative size', [{ name: 'top/neg', size: -1n }], 'impossible size'],
    ['more bytes than a small maxBytes', [{ name: 'top/a', data: 'x'.repeat(600) }, { name: 'top/b', data: 'y'.repeat(600) }], 'maxBytes = 1000', '"top/b"', { maxBytes: 1000 }],
    ['a bad header checksum', [{ name: 'top/a', data: 'x', checksum: 1234 }], 'checksum'],
    ['a duplicate file', [{ name: 'top/a', data: '1' }, { name: 'top/a', data: '2' }], 'clashes'],
    ['a file where a folder is needed', [{ name: 'top/a', data: '1' }, { name: 'top/a/b', data: '2' }], 'clashes'],
    ['a file over a folder', [{ name: 'top/d', type: '5' }, { name: 'top/d', data: '2' }], 'clashes'],
    ['a tar cut inside member data', gzipSync(tar(fileWithData).subarray(0, 512 + 1000)), 'truncated', '1000 of 2000'],
    ['a tar cut inside a header', gzipSync(tar([...fileWithData, ...fileWithData]).subarray(0, 512 + 2048 + 100)), 'truncated', 'header'],
    ['an empty archive', gzipSync(tar([])), 'empty'],
    ['an empty gzip stream', gzipSync(Buffer.alloc(0)), 'empty'],
    ['a truncated gzip stream', good.subarray(0, good.length - 10), 'gzip', 'truncated'],
    ['garbage that is not gzip', Buffer.from('this is not a gzip file at all'), 'gzip'],
    ['a gzipped file that is not a tar', gzipSync(Buffer.from('x'.repeat(1000))), 'checksum'],
  ];

  for (const [label, content, ...rest] of cases) {
    const options = typeof rest.at(-1) === 'object' ? rest.pop() : {};
    it(`refuses ${label}`, async (t) => {
      const box = sandbox(t);
      // Entry lists are gzipped tars; Buffers are the archive's bytes as they are.
      const archive = box.write('crafted.tar.gz', Array.isArray(content) ? targz(content) : content);
      await rejectsWith(unpackArchive(archive, { cacheDir: box.cache, ...options }), ErrorCodes.INVALID_ARCHIVE, archive, ...rest);
      assertNothingWritten(box);
      assert.ok(!existsSync(outside));
    });
  }
});

describe('arguments and I/O errors', () => {
  it('reports a missing archive', async (t) => {
    const missing = join(tempFolder(t), 'missing.tar.gz');
    await rejectsWith(unpackArchive(missing, { cacheDir: tempFolder(t) }), ErrorCodes.FILE_NOT_FOUND, missing);
  });

  it('throws TypeErrors for arguments of the wrong type', async () => {
    for (const [args, mention] of [
      [[42], 'archivePath'],
      [[undefined], 'archivePath'],
      [[''], 'archivePath'],
      [['a.tgz', 'options'], 'options'],
      [['a.tgz', { cacheDir: 5 }], 'cacheDir'],
      [['a.tgz', { maxBytes: -1 }], 'maxBytes'],
      [['a.tgz', { maxBytes: '1' }], 'maxBytes'],
    ]) {
      await assert.rejects(unpackArchive(...args), (error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.equal(error.code, ErrorCodes.INVALID_INPUT);
        assert.ok(error.message.includes(mention), error.message);
        return true;
      });
    }
  });

  it('reports a cache folder that cannot be created, naming it', async (t) => {
    const dir = tempFolder(t);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a folder');
    const cacheDir = join(file, 'cache');
    await rejectsWith(unpackArchive(FIXTURES[0].archive, { cacheDir }), ErrorCodes.FILE_READ, cacheDir);
  });

  it('reports an archive path that is a folder', async (t) => {
    const dir = join(tempFolder(t), 'folder.tar.gz');
    mkdirSync(dir);
    assert.equal(isArchivePath(dir), false);
    await rejectsWith(unpackArchive(dir, { cacheDir: tempFolder(t) }), ErrorCodes.FILE_READ, dir);
  });

  it('isArchivePath checks the name and that it is a file', (t) => {
    const dir = tempFolder(t);
    const tgz = join(dir, 'model.TGZ');
    const zip = join(dir, 'model.zip');
    writeFileSync(tgz, 'x');
    writeFileSync(zip, 'x');
    assert.equal(isArchivePath(tgz), true);
    assert.equal(isArchivePath(zip), false);
    assert.equal(isArchivePath(join(dir, 'missing.tar.gz')), false);
    assert.equal(isArchivePath(42), false);
    assert.ok(statSync(FIXTURES[0].archive).isFile() && isArchivePath(FIXTURES[0].archive));
  });
});
