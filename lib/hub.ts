/**
 * Models from the Hugging Face Hub: `fromPretrained('albert-base-v2')` or `fromPretrained('org/name', { revision })`
 * downloads what the model needs (config.json, the weights, the tokenizer files the repository has) into a cache
 * laid out as huggingface_hub's (see hub-cache.ts), once: a later load of the same repository and revision reads the
 * cache without touching the network.
 *
 * Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (a token for private and gated models),
 * HF_HUB_OFFLINE=1 (never download), ALBERT_NODE_CACHE (the cache folder).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { albertError, ErrorCodes } from './errors';
import {
  acquireLock,
  defaultCacheDir,
  isFile,
  isKnownMissing,
  markMissing,
  placeInSnapshot,
  readRef,
  repoCache,
  snapshotFolder,
  writeRef,
  type RepoCache,
} from './hub-cache';
import { downloadFile, fetchMetadata, type DownloadProgress, type FileMetadata, type HttpContext } from './hub-download';
import { describe } from './inputs';

export type { DownloadProgress } from './hub-download';

/** How {@link downloadModel} finds and fetches a repository's files. */
export interface HubDownloadOptions {
  /** A branch, tag or 40-hex commit (default `main`). A commit is used as is; a branch or tag is resolved once and recorded. */
  revision?: string;
  /** The cache folder (default: env ALBERT_NODE_CACHE, else `~/.cache/albert-node`); downloads go under `<cacheDir>/hub`. */
  cacheDir?: string;
  /** Never touch the network: use the cache or fail with FILE_NOT_FOUND (also env HF_HUB_OFFLINE=1). */
  localFilesOnly?: boolean;
  /** A Hugging Face access token for private and gated repositories (default: env HF_TOKEN). */
  token?: string;
  /** Called as each file downloads, with the bytes on disk so far and the file's size. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * Which files: `model` (default: config.json, the weights — model.safetensors, else a sharded
   * model.safetensors.index.json and its shards, else pytorch_model.bin — and the tokenizer files the repository
   * has), `tokenizer` (config.json and the tokenizer files), or a list of file names that must all exist.
   */
  files?: 'model' | 'tokenizer' | readonly string[];
  /** Fail a request when its connection stays silent this long (default 30000 ms). */
  timeoutMs?: number;
}

/** @internal Where a download landed. */
export interface HubSnapshot {
  /** The snapshot folder holding the files. */
  folder: string;
  repo: string;
  revision: string;
  commit: string;
}

const DEFAULT_ENDPOINT = 'https://huggingface.co';
const DEFAULT_TIMEOUT_MS = 30_000;
const TOKENIZER_FILES = ['spiece.model', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json'];
const SAFETENSORS = 'model.safetensors';
const SAFETENSORS_INDEX = 'model.safetensors.index.json';
const PYTORCH_BIN = 'pytorch_model.bin';
const REPO_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/;
const REVISION = /^[A-Za-z0-9._+-]+(?:\/[A-Za-z0-9._+-]+)*$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const FILE_SEGMENT = /^[^/\\\0:*?"<>|]+$/;
const TRUE_VALUES = ['1', 'true', 'yes', 'on'];

/** `name` or `org/name` by the Hub's rules (letters, digits, `-`, `_`, `.`; no `..` or `--`; no `-`/`.` at either end). */
function looksLikeRepoId(s: string): boolean {
  const parts = s.split('/');
  if (parts.length > 2) return false;
  return parts.every((part) => REPO_PART.test(part) && !part.includes('..') && !part.includes('--'));
}

/**
 * True when `s` is not an existing local path and has the form of a Hub repository id (`name` or `org/name`).
 * Local paths always win: a folder named like a repository is loaded from disk.
 */
export function isHubRepoId(s: unknown): s is string {
  return typeof s === 'string' && looksLikeRepoId(s) && !existsSync(s);
}

function isSafeFileName(name: string): boolean {
  return name.split('/').every((segment) => FILE_SEGMENT.test(segment) && segment !== '.' && segment !== '..');
}

/** @internal Checks the Hub options that fromPretrained passes through (before anything else is done). */
export function checkHubOptions(options: Pick<HubDownloadOptions, 'revision' | 'localFilesOnly' | 'token' | 'onProgress'>): void {
  const { revision, localFilesOnly, token, onProgress } = options;
  const bad = (message: string) => albertError(ErrorCodes.INVALID_INPUT, message, true);
  if (revision !== undefined && (typeof revision !== 'string' || revision.length === 0)) throw bad(`revision must be a non-empty string (got ${describe(revision)})`);
  if (localFilesOnly !== undefined && typeof localFilesOnly !== 'boolean') throw bad(`localFilesOnly must be a boolean (got ${describe(localFilesOnly)})`);
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) throw bad(`token must be a non-empty string (got ${describe(token)})`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw bad(`onProgress must be a function (got ${describe(onProgress)})`);
}

/** The checked options, with the environment's defaults filled in. */
interface Settings {
  repo: string;
  revision: string;
  cache: RepoCache;
  offline: boolean;
  files: 'model' | 'tokenizer' | readonly string[];
  http: HttpContext;
}

function settings(repoId: unknown, options: unknown): Settings {
  const bad = (message: string) => albertError(ErrorCodes.INVALID_INPUT, message, true);
  if (typeof repoId !== 'string' || !looksLikeRepoId(repoId)) {
    throw bad(`A Hugging Face Hub model id is 'name' or 'org/name' (letters, digits, '-', '_', '.'; got ${describe(repoId)})`);
  }
  if (options === null || typeof options !== 'object') throw bad(`options must be an object (got ${describe(options)})`);
  const { revision = 'main', cacheDir, localFilesOnly, token, onProgress, files = 'model', timeoutMs } = options as HubDownloadOptions;
  if (typeof revision !== 'string' || !REVISION.test(revision) || revision.split('/').some((s) => s === '.' || s === '..')) {
    throw bad(`revision must be a branch, tag or commit name (got ${describe(revision)})`);
  }
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir.length === 0 || cacheDir.includes('\0'))) {
    throw bad(`cacheDir must be a folder path string (got ${describe(cacheDir)})`);
  }
  if (localFilesOnly !== undefined && typeof localFilesOnly !== 'boolean') throw bad(`localFilesOnly must be a boolean (got ${describe(localFilesOnly)})`);
  if (token !== undefined && (typeof token !== 'string' || token.length === 0 || /[\r\n]/.test(token))) {
    throw bad(`token must be a non-empty string (got ${describe(token)})`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') throw bad(`onProgress must be a function (got ${describe(onProgress)})`);
  if (files !== 'model' && files !== 'tokenizer') {
    if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f === 'string' && isSafeFileName(f))) {
      throw bad(`files must be 'model', 'tokenizer' or a non-empty list of file names inside the repository (got ${describe(files)})`);
    }
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) throw bad(`timeoutMs must be a positive number (got ${describe(timeoutMs)})`);
  const endpoint = (process.env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  try {
    if (!['http:', 'https:'].includes(new URL(endpoint).protocol)) throw new Error('not http(s)');
  } catch {
    throw bad(`HF_ENDPOINT must be an http(s) URL (got ${JSON.stringify(endpoint)})`);
  }
  const envToken = process.env.HF_TOKEN;
  const chosenToken = token ?? (envToken ? envToken.trim() : undefined);
  const http: HttpContext = { endpoint, timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS };
  if (chosenToken) http.token = chosenToken;
  if (onProgress) http.onProgress = onProgress;
  return {
    repo: repoId,
    revision,
    cache: repoCache(resolve(cacheDir ?? defaultCacheDir()), repoId),
    offline: localFilesOnly ?? TRUE_VALUES.includes((process.env.HF_HUB_OFFLINE ?? '').trim().toLowerCase()),
    files,
    http,
  };
}

/** The shard files a safetensors index lists (each a plain file name). */
async function readShards(indexPath: string, repo: string): Promise<string[]> {
  let index: unknown;
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (error) {
    throw albertError(ErrorCodes.INVALID_JSON, `${SAFETENSORS_INDEX} of ${repo} (${indexPath}) is not valid JSON: ${(error as Error).message}`);
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw albertError(ErrorCodes.INVALID_SAFETENSORS, `${SAFETENSORS_INDEX} of ${repo} (${indexPath}): no 'weight_map' object`);
  }
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || !FILE_SEGMENT.test(shard) || shard === '.' || shard === '..') {
      throw albertError(ErrorCodes.INVALID_SAFETENSORS, `${SAFETENSORS_INDEX} of ${repo}: weight_map entry '${tensor}' names an invalid shard file ${JSON.stringify(shard)}`);
    }
    shards.add(shard);
  }
  return [...shards];
}

/** The first file of the request that the cached snapshot neither has nor knows to be absent; undefined when complete. */
async function firstUncached(s: Settings, commit: string): Promise<string | undefined> {
  const folder = snapshotFolder(s.cache, commit);
  const has = (file: string) => isFile(join(folder, file));
  const absent = (file: string) => isKnownMissing(s.cache, commit, file);
  const required = Array.isArray(s.files) ? s.files : ['config.json'];
  for (const file of required) if (!(await has(file))) return file;
  if (s.files === 'model' && !(await has(SAFETENSORS))) {
    if (!(await absent(SAFETENSORS))) return SAFETENSORS;
    if (await has(SAFETENSORS_INDEX)) {
      for (const shard of await readShards(join(folder, SAFETENSORS_INDEX), s.repo)) if (!(await has(shard))) return shard;
    } else if (!(await absent(SAFETENSORS_INDEX))) {
      return SAFETENSORS_INDEX;
    } else if (!(await has(PYTORCH_BIN))) {
      return PYTORCH_BIN;
    }
  }
  if (!Array.isArray(s.files)) for (const file of TOKENIZER_FILES) if (!(await has(file)) && !(await absent(file))) return file;
  return undefined;
}

function resolveUrl(s: Settings, revision: string, file: string): string {
  return `${s.http.endpoint}/${s.repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Blobs are named by ETag; one that is not a plain file name is hashed into one. */
function blobName(etag: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/.test(etag)) return etag;
  return createHash('sha256').update(etag).digest('hex');
}

/** Downloads in flight in this process, by blob path: a second call for the same blob waits for the first. */
const inFlight = new Map<string, Promise<void>>();

/** Makes `blob` exist: downloads it under an exclusive lock, unless another call or process does (or did). */
function obtainBlob(blob: string, meta: FileMetadata, file: string, s: Settings): Promise<void> {
  const running = inFlight.get(blob);
  if (running) return running;
  const job = (async () => {
    if (await isFile(blob)) return;
    await placeLockFolder(s.cache);
    const release = await acquireLock(`${blob}.lock`, () => isFile(blob));
    if (release === undefined) return;
    try {
      if (await isFile(blob)) return;
      const part = `${blob}.incomplete`;
      await downloadFile(meta, part, file, s.repo, s.http);
      try {
        await rename(part, blob);
      } catch (error) {
        throw albertError(ErrorCodes.FILE_READ, `Cannot move ${part} to ${blob} in the download cache: ${(error as Error).message}`);
      }
    } finally {
      await release();
    }
  })().finally(() => inFlight.delete(blob));
  inFlight.set(blob, job);
  return job;
}

async function placeLockFolder(cache: RepoCache): Promise<void> {
  try {
    await mkdir(cache.blobs, { recursive: true });
  } catch (error) {
    throw albertError(ErrorCodes.FILE_READ, `Cannot create the download cache folder ${cache.blobs}: ${(error as Error).message}`);
  }
}

/** Downloads what the request needs into the snapshot of the revision's current commit; returns the commit. */
async function fetchSnapshot(s: Settings): Promise<string> {
  const isCommit = COMMIT.test(s.revision);
  let commit: string | undefined = isCommit ? s.revision : undefined;
  const where = `${s.repo} (revision ${s.revision}) on ${s.http.endpoint}`;

  const learnCommit = async (value: string | undefined, url: string) => {
    if (commit !== undefined) return;
    if (value === undefined || !COMMIT.test(value)) {
      throw albertError(
        ErrorCodes.NETWORK,
        `${url} sent no valid X-Repo-Commit header (got ${JSON.stringify(value ?? null)}): is HF_ENDPOINT (${s.http.endpoint}) a Hugging Face Hub?`,
      );
    }
    commit = value;
    if (!isCommit) await writeRef(s.cache, s.revision, value);
  };

  /** Fetches one file into the snapshot; false when the repository does not have it (and it is optional). */
  const fetchOne = async (file: string, required: boolean): Promise<boolean> => {
    if (commit !== undefined) {
      if (await isFile(join(snapshotFolder(s.cache, commit), file))) return true;
      if (!required && (await isKnownMissing(s.cache, commit, file))) return false;
    }
    const url = resolveUrl(s, commit ?? s.revision, file);
    const result = await fetchMetadata(url, s.repo, s.http);
    if (!result.found) {
      if (result.errorCode === 'RepoNotFound') {
        throw albertError(ErrorCodes.FILE_NOT_FOUND, `Repository ${s.repo} not found on ${s.http.endpoint} (${url} answered 404); if it is private, pass a token`);
      }
      if (result.errorCode === 'RevisionNotFound') {
        throw albertError(ErrorCodes.FILE_NOT_FOUND, `Revision ${s.revision} of ${s.repo} not found on ${s.http.endpoint} (${url} answered 404)`);
      }
      if (required) {
        throw albertError(ErrorCodes.FILE_NOT_FOUND, `${file} not found in ${where}: ${url} answered 404 (no such repository, revision or file)`);
      }
      if (commit === undefined && result.commit !== undefined && COMMIT.test(result.commit)) await learnCommit(result.commit, url);
      if (commit !== undefined) await markMissing(s.cache, commit, file);
      return false;
    }
    await learnCommit(result.meta.commit, url);
    const blob = join(s.cache.blobs, blobName(result.meta.etag));
    await obtainBlob(blob, result.meta, file, s);
    await placeInSnapshot(blob, join(snapshotFolder(s.cache, commit!), file));
    return true;
  };

  if (Array.isArray(s.files)) {
    for (const file of s.files) await fetchOne(file, true);
    return commit!;
  }
  await fetchOne('config.json', true);
  if (s.files === 'model' && !(await fetchOne(SAFETENSORS, false))) {
    if (await fetchOne(SAFETENSORS_INDEX, false)) {
      const shards = await readShards(join(snapshotFolder(s.cache, commit!), SAFETENSORS_INDEX), s.repo);
      for (const shard of shards) await fetchOne(shard, true);
    } else if (!(await fetchOne(PYTORCH_BIN, false))) {
      throw albertError(ErrorCodes.FILE_NOT_FOUND, `${where} has no weights: none of ${SAFETENSORS}, ${SAFETENSORS_INDEX}, ${PYTORCH_BIN}`);
    }
  }
  await Promise.all(TOKENIZER_FILES.map((file) => fetchOne(file, false)));
  return commit!;
}

/**
 * @internal Downloads (or finds in the cache) a Hub repository's files; see {@link downloadModel}. Returns the
 * snapshot folder with the repository, revision and commit.
 */
export async function downloadSnapshot(repoId: string, options: HubDownloadOptions = {}): Promise<HubSnapshot> {
  const s = settings(repoId, options);
  const isCommit = COMMIT.test(s.revision);
  const known = isCommit ? s.revision : await readRef(s.cache, s.revision);
  const commit = known !== undefined && COMMIT.test(known) ? known : undefined;
  const missing = commit === undefined ? undefined : await firstUncached(s, commit);
  if (commit !== undefined && missing === undefined) {
    return { folder: snapshotFolder(s.cache, commit), repo: s.repo, revision: s.revision, commit };
  }
  if (s.offline) {
    const what = commit === undefined ? `Revision ${s.revision} of ${s.repo}` : `${missing} of ${s.repo} (revision ${s.revision})`;
    throw albertError(
      ErrorCodes.FILE_NOT_FOUND,
      `${what} is not in the cache ${s.cache.root} and offline mode is on (localFilesOnly or HF_HUB_OFFLINE): ` +
        'download it once without offline mode',
    );
  }
  const downloaded = await fetchSnapshot(s);
  return { folder: snapshotFolder(s.cache, downloaded), repo: s.repo, revision: s.revision, commit: downloaded };
}

/**
 * Downloads a model from the Hugging Face Hub (or finds it in the cache) and returns the local folder holding its
 * files: config.json, the weights, and the tokenizer files the repository has. The first call for a repository and
 * revision downloads; later calls read the cache without any network request (pass a commit as `revision` to pin
 * one, or delete `<cacheDir>/hub/models--{org}--{name}/refs/<revision>` to look for a newer one). Interrupted
 * downloads resume; LFS files are checked against their sha256. Concurrent calls and processes share the cache
 * safely.
 */
export async function downloadModel(repoId: string, options: HubDownloadOptions = {}): Promise<string> {
  return (await downloadSnapshot(repoId, options)).folder;
}
