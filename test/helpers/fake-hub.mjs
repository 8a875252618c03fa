// A local stand-in for the Hugging Face Hub: `${endpoint}/<repo>/resolve/<revision>/<file>` answers as the Hub does
// (X-Repo-Commit, ETag; LFS files — *.safetensors, *.bin, *.model — with X-Linked-Etag = sha256, X-Linked-Size and
// a 302 to a second "storage" server on another port that serves the bytes and honours Range), 404s with
// X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound), private repositories that need a bearer token, and
// fault modes: truncated bodies (connection destroyed mid-way), corrupted bytes, slow bodies. Every request is logged.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
/** The git blob id of `bytes` (what the Hub sends as the ETag of a non-LFS file). */
const gitSha1 = (bytes) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
const isLfs = (file) => /\.(safetensors|bin|model)$/.test(file);

/** The files of a fixture folder as { name: Buffer } (goldens left out: a real repository has none). */
export function folderFiles(folder) {
  const files = {};
  for (const name of readdirSync(folder)) {
    if (name.startsWith('goldens')) continue;
    const path = join(folder, name);
    if (statSync(path).isFile()) files[name] = readFileSync(path);
  }
  return files;
}

/** A fake commit id for a repository revision (40 hex). */
export function commitOf(repo, revision) {
  return createHash('sha1').update(`${repo}@${revision}`).digest('hex');
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/**
 * @param {Record<string, { revisions: Record<string, Record<string, Buffer>>, token?: string }>} repos
 *   repository id -> its revisions (branch or tag -> files) and, for a private repository, the token it needs.
 */
export async function startFakeHub(repos) {
  const blobs = new Map(); // sha256 -> Buffer
  const commits = new Map(); // `${repo}@${commit}` -> files
  for (const [repo, { revisions }] of Object.entries(repos)) {
    for (const [revision, files] of Object.entries(revisions)) {
      commits.set(`${repo}@${commitOf(repo, revision)}`, files);
      for (const bytes of Object.values(files)) blobs.set(sha256(bytes), bytes);
    }
  }

  const hub = {
    /** Every request: { server: 'hub' | 'storage', method, url, file, headers }. */
    requests: [],
    /** file name -> how many more GETs of it to cut off half-way (Infinity: all). */
    truncate: new Map(),
    /** File names served with one byte flipped. */
    corrupt: new Set(),
    /** Storage bodies go out in 16 KiB pieces this many ms apart (lets concurrent downloads overlap). */
    slowMs: 0,
    /** The hub answers nothing (to exercise timeouts). */
    stall: false,
    endpoint: '',
    storage: '',
    commitOf,
    /** Requests for `file` (optionally only on one server / with one method). */
    requestsFor(file, { server, method } = {}) {
      return hub.requests.filter((r) => r.file === file && (!server || r.server === server) && (!method || r.method === method));
    },
    async close() {
      for (const s of [hubServer, storageServer]) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
    },
  };

  const hubServer = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const match = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const file = match ? match[3].split('/').map(decodeURIComponent).join('/') : undefined;
    hub.requests.push({ server: 'hub', method: req.method, url: req.url, file, headers: req.headers });
    if (hub.stall) return; // Never answer.
    const answer = (status, headers = {}, body = '') => {
      res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!match) return answer(404, {}, 'Not Found');
    const repo = match[1];
    const revision = decodeURIComponent(match[2]);
    const spec = repos[repo];
    if (!spec) return answer(404, { 'X-Error-Code': 'RepoNotFound' }, 'Repository not found');
    if (spec.token !== undefined && req.headers.authorization !== `Bearer ${spec.token}`) {
      return answer(401, {}, 'Invalid credentials');
    }
    const commit = /^[0-9a-f]{40}$/.test(revision) ? revision : spec.revisions[revision] ? commitOf(repo, revision) : undefined;
    const files = commit && commits.get(`${repo}@${commit}`);
    if (!files) return answer(404, { 'X-Error-Code': 'RevisionNotFound' }, 'Invalid rev id');
    const bytes = files[file];
    if (!bytes) return answer(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': commit }, 'Entry not found');
    if (isLfs(file)) {
      const sha = sha256(bytes);
      const location = `${hub.storage}/lfs/${sha}/${encodeURIComponent(file)}?X-Amz-Signature=fake`;
      return answer(
        302,
        {
          Location: location,
          'X-Repo-Commit': commit,
          'X-Linked-Etag': `"${sha}"`,
          'X-Linked-Size': String(bytes.length),
          ETag: `W/"${gitSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\n`))}"`,
        },
        `Found. Redirecting to ${location}`,
      );
    }
    res.writeHead(200, { 'Content-Length': bytes.length, 'X-Repo-Commit': commit, ETag: `"${gitSha1(bytes)}"` });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  });

  const storageServer = createServer((req, res) => {
    const match = /^\/lfs\/([0-9a-f]{64})\/([^/?]+)/.exec(req.url);
    const file = match ? decodeURIComponent(match[2]) : undefined;
    hub.requests.push({ server: 'storage', method: req.method, url: req.url, file, headers: req.headers });
    let bytes = match && blobs.get(match[1]);
    if (!bytes) {
      res.writeHead(404, { 'Content-Length': 0 });
      return res.end();
    }
    if (hub.corrupt.has(file)) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length >> 1] ^= 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const headers = { ETag: '"storage-etag-not-the-sha"', 'Accept-Ranges': 'bytes' };
    if (range) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${bytes.length}`, 'Content-Length': 0 });
        return res.end();
      }
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`, 'Content-Length': bytes.length - start });
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': bytes.length });
    }
    if (req.method === 'HEAD') return res.end();
    let body = bytes.subarray(start);
    const cuts = hub.truncate.get(file) ?? 0;
    if (cuts > 0) {
      hub.truncate.set(file, cuts - 1);
      body = body.subarray(0, body.length >> 1);
      res.write(body, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (!hub.slowMs) return res.end(body);
    let offset = 0;
    const next = () => {
      if (res.destroyed) return;
      const piece = body.subarray(offset, offset + 16384);
      offset += piece.length;
      if (offset >= body.length) res.end(piece);
      else res.write(piece, () => setTimeout(next, hub.slowMs));
    };
    next();
  });

  hub.endpoint = `http://127.0.0.1:${await listen(hubServer)}`;
  hub.storage = `http://127.0.0.1:${await listen(storageServer)}`;
  return hub;
}
