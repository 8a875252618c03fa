/**
 * HTTP for Hub downloads, on Node's own http/https: a metadata request per file (commit, ETag, size, where the
 * bytes are), then the bytes into `<blob>.incomplete`, resumed with `Range` after an interruption, checked
 * against the announced size and (LFS files) sha256. The Authorization header only ever goes to the endpoint's
 * own origin, never to the storage host an LFS file redirects to.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { albertError, ErrorCodes, type AlbertNodeError } from './errors';
import { errorMessage } from './hub-cache';

/** Progress of one file's download. */
export interface DownloadProgress {
  /** The file's name in the repository (`model.safetensors`). */
  file: string;
  /** Bytes of the file on disk so far (a resumed download starts at what an earlier one left). */
  loaded: number;
  /** The file's size, when the server announced it. */
  total?: number;
}

/** How requests are made. */
export interface HttpContext {
  /** The Hub endpoint, without a trailing slash. */
  endpoint: string;
  token?: string;
  timeoutMs: number;
  onProgress?: (progress: DownloadProgress) => void;
}

/** What the Hub says about one file. */
export interface FileMetadata {
  /** X-Repo-Commit. */
  commit?: string;
  /** X-Linked-Etag (LFS: the sha256) or ETag, without quotes or W/. */
  etag: string;
  /** X-Linked-Size (LFS) or Content-Length. */
  size?: number;
  /** Where to GET the bytes: the storage host an LFS file redirects to, else the file's own URL. */
  url: string;
}

export type MetadataResult =
  | { found: true; meta: FileMetadata }
  | { found: false; status: number; errorCode?: string; commit?: string };

const MAX_REDIRECTS = 10;
const MAX_ATTEMPTS = 5;
const SHA256 = /^[0-9a-f]{64}$/;
const USER_AGENT = `albert-node; node/${process.versions.node}`;

/** An error worth another attempt (the connection dropped or stalled): the download resumes where it stopped. */
interface Retryable extends AlbertNodeError {
  retryable?: boolean;
}

function networkError(message: string, retryable = false): Retryable {
  const error: Retryable = albertError(ErrorCodes.NETWORK, message);
  if (retryable) Object.defineProperty(error, 'retryable', { value: true, enumerable: false });
  return error;
}

function origin(url: string): string {
  return new URL(url).origin;
}

/** Without quotes and a weak `W/` prefix. */
export function normalizeEtag(value: string): string {
  return value.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sizeHeader(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Sends one request; resolves with the response (its body not yet read). Socket inactivity past the timeout fails it. */
function send(method: 'GET' | 'HEAD', url: string, headers: Record<string, string>, ctx: HttpContext): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(networkError(`Invalid download URL ${url}`));
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (client === undefined) {
      reject(networkError(`Cannot download ${url}: only http and https URLs are supported`));
      return;
    }
    const all: Record<string, string> = { 'User-Agent': USER_AGENT, 'Accept-Encoding': 'identity', ...headers };
    if (ctx.token !== undefined && origin(url) === origin(ctx.endpoint)) all.Authorization = `Bearer ${ctx.token}`;
    const req = client.request(parsed, { method, headers: all });
    req.setTimeout(ctx.timeoutMs, () => {
      req.destroy(Object.assign(new Error(`no data for ${ctx.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    req.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      const final = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ERR_INVALID_URL';
      reject(networkError(`Cannot download ${url}: ${errorMessage(error)}`, !final));
    });
    req.on('response', resolve);
    req.end();
  });
}

function discard(res: http.IncomingMessage): void {
  res.resume();
  res.on('error', () => undefined);
}

function httpError(res: http.IncomingMessage, url: string, repo: string): AlbertNodeError {
  const status = res.statusCode ?? 0;
  const hubCode = header(res, 'x-error-code');
  if (status === 401 || status === 403) {
    const why = hubCode === 'GatedRepo' ? 'is gated' : hubCode === 'RepoNotFound' ? 'does not exist or is private' : 'is private or gated';
    return networkError(
      `Access denied (HTTP ${status}) to ${url}: the repository ${repo} ${why}. Pass a Hugging Face access token ` +
        `with the 'token' option or the HF_TOKEN environment variable (for a gated model, accept its conditions on its page first).`,
    );
  }
  return networkError(`Download failed: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd() + ` from ${url}`, status >= 500 || status === 429);
}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error as Retryable).retryable || i >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (i - 1)));
    }
  }
}

/**
 * HEAD on a file's resolve URL. Same-origin redirects (a renamed repository) are followed; a redirect to another
 * host (LFS storage) is not: its Location is where the bytes are, its headers carry the ETag and size.
 */
export function fetchMetadata(url: string, repo: string, ctx: HttpContext): Promise<MetadataResult> {
  return withRetries(async () => {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await send('HEAD', current, {}, ctx);
      discard(res);
      const status = res.statusCode ?? 0;
      const commit = header(res, 'x-repo-commit');
      const location = header(res, 'location');
      if (status >= 300 && status < 400 && location !== undefined) {
        const next = new URL(location, current).toString();
        if (origin(next) === origin(current)) {
          current = next;
          continue;
        }
        return { found: true, meta: metadata(res, next, current, false) };
      }
      if (status >= 200 && status < 300) return { found: true, meta: metadata(res, current, current, true) };
      if (status === 404) {
        const errorCode = header(res, 'x-error-code');
        return { found: false, status, ...(errorCode === undefined ? {} : { errorCode }), ...(commit === undefined ? {} : { commit }) };
      }
      throw httpError(res, current, repo);
    }
    throw networkError(`Too many redirects from ${url}`);
  });
}

function metadata(res: http.IncomingMessage, downloadUrl: string, url: string, direct: boolean): FileMetadata {
  const raw = header(res, 'x-linked-etag') ?? header(res, 'etag');
  if (raw === undefined || normalizeEtag(raw).length === 0) {
    throw networkError(`The server sent no ETag for ${url}: is HF_ENDPOINT (${url}) a Hugging Face Hub?`);
  }
  const commit = header(res, 'x-repo-commit');
  const size = sizeHeader(header(res, 'x-linked-size')) ?? (direct ? sizeHeader(header(res, 'content-length')) : undefined);
  return { etag: normalizeEtag(raw), url: downloadUrl, ...(commit === undefined ? {} : { commit }), ...(size === undefined ? {} : { size }) };
}

/** GET, following redirects (the Authorization header stays with the endpoint's origin, see send()). */
async function get(url: string, headers: Record<string, string>, repo: string, ctx: HttpContext): Promise<{ res: http.IncomingMessage; url: string }> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await send('GET', current, headers, ctx);
    const status = res.statusCode ?? 0;
    const location = header(res, 'location');
    if (status >= 300 && status < 400 && location !== undefined) {
      discard(res);
      current = new URL(location, current).toString();
      continue;
    }
    if (status === 200 || status === 206 || status === 416) return { res, url: current };
    discard(res);
    throw httpError(res, current, repo);
  }
  throw networkError(`Too many redirects from ${url}`);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `bytes <start>-<end>/<total>` of a 206. */
function contentRange(value: string | undefined): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[3] === '*' ? {} : { total: Number(match[3]) }) };
}

/**
 * Downloads `meta.url` into `part` (resuming from what `part` holds), retrying interrupted transfers. Checks the
 * size and, when the ETag is a sha256 (LFS), the contents; on a mismatch `part` is deleted and a NETWORK error
 * raised. `part` is complete when this resolves.
 */
export async function downloadFile(meta: FileMetadata, part: string, file: string, repo: string, ctx: HttpContext): Promise<void> {
  const expectedSha = SHA256.test(meta.etag) ? meta.etag : undefined;
  let total = meta.size;
  await withRetries(async () => {
    let offset = await fileSize(part);
    if (total !== undefined && offset > total) offset = 0;
    if (total !== undefined && offset === total) return;
    const { res, url } = await get(meta.url, offset > 0 ? { Range: `bytes=${offset}-` } : {}, repo, ctx);
    const status = res.statusCode ?? 0;
    if (status === 416) {
      // The server cannot serve the rest of what `part` holds: start again.
      discard(res);
      await unlink(part).catch(() => undefined);
      throw networkError(`${url} refused to resume at byte ${offset} (HTTP 416)`, true);
    }
    if (status === 206) {
      const range = contentRange(header(res, 'content-range'));
      if (range === undefined || range.start !== offset) {
        discard(res);
        await unlink(part).catch(() => undefined);
        throw networkError(`${url} answered a request for bytes ${offset}- with Content-Range ${header(res, 'content-range') ?? '(none)'}`, true);
      }
      if (range.total !== undefined) total ??= range.total;
    } else {
      offset = 0; // A 200 sends the whole file: restart from zero.
      const length = sizeHeader(header(res, 'content-length'));
      if (length !== undefined) total ??= length;
      if (length !== undefined && total !== length) {
        discard(res);
        throw networkError(`${url} sends ${length} bytes, but the Hub announced ${total} for ${file} of ${repo}`);
      }
    }
    await receive(res, url, part, offset, total, file, ctx);
  });
  await verify(part, meta, total, expectedSha, file, repo);
}

/** Writes the response body into `part` from `offset`; a connection that ends early throws a retryable error. */
async function receive(res: http.IncomingMessage, url: string, part: string, offset: number, total: number | undefined, file: string, ctx: HttpContext) {
  let handle;
  try {
    handle = await open(part, offset === 0 ? 'w' : 'r+');
  } catch (error) {
    discard(res);
    throw albertError(ErrorCodes.FILE_READ, `Cannot write ${part} in the download cache: ${errorMessage(error)}`);
  }
  let loaded = offset;
  const report = () => ctx.onProgress?.({ file, loaded, ...(total === undefined ? {} : { total }) });
  try {
    report();
    const chunks = res[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw networkError(`Download of ${url} interrupted after ${loaded} bytes: ${errorMessage(error)}`, true);
      }
      if (next.done) break;
      const chunk = next.value;
      try {
        await handle.write(chunk, 0, chunk.length, loaded);
      } catch (error) {
        throw albertError(ErrorCodes.FILE_READ, `Cannot write ${part} in the download cache: ${errorMessage(error)}`);
      }
      loaded += chunk.length;
      report();
    }
    if (total !== undefined && loaded < total) {
      throw networkError(`Download of ${url} ended after ${loaded} of ${total} bytes`, true);
    }
  } catch (error) {
    res.destroy();
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function verify(part: string, meta: FileMetadata, total: number | undefined, sha: string | undefined, file: string, repo: string) {
  const size = await fileSize(part);
  const reject = async (what: string) => {
    await unlink(part).catch(() => undefined);
    return networkError(`Downloaded ${file} of ${repo} from ${meta.url} is corrupt: ${what}; the partial file was deleted, try again`);
  };
  if (total !== undefined && size !== total) throw await reject(`${size} bytes instead of ${total}`);
  if (sha === undefined) return;
  const actual = await sha256File(part);
  if (actual !== sha) throw await reject(`sha256 ${actual} instead of ${sha}`);
}
