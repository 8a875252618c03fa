/**
 * The on-disk cache of Hugging Face Hub downloads, laid out as huggingface_hub lays out its own:
 *
 *     <cacheDir>/hub/models--{org}--{name}/
 *       blobs/<etag>                 file contents, named by ETag (the sha256 for LFS files)
 *       snapshots/<commit>/<file>    the files of one commit: hard links to the blobs (copies where links fail)
 *       refs/<revision>              the commit a branch or tag pointed to when it was downloaded
 *       .no_exist/<commit>/<file>    empty markers: optional files the commit does not have
 *
 * Every file appears under its final name only once complete (written under a temporary name, then renamed), so
 * a file's presence in a snapshot means it is whole. Blob downloads take an exclusive lock file beside the blob.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { albertError, ErrorCodes } from './errors';

/** A lock whose holder stopped refreshing it this long ago is taken over. */
const STALE_LOCK_MS = 30_000;
/** How often a lock holder refreshes its lock's mtime. */
const HEARTBEAT_MS = 5_000;

/** The cache folder: `cacheDir`, else env ALBERT_NODE_CACHE, else `<home>/.cache/albert-node`. */
export function defaultCacheDir(): string {
  const fromEnv = process.env.ALBERT_NODE_CACHE;
  return fromEnv ? fromEnv : join(homedir(), '.cache', 'albert-node');
}

/** The cache folders of one repository. */
export interface RepoCache {
  root: string;
  blobs: string;
}

export function repoCache(cacheDir: string, repo: string): RepoCache {
  const root = join(cacheDir, 'hub', `models--${repo.split('/').join('--')}`);
  return { root, blobs: join(root, 'blobs') };
}

export function snapshotFolder(cache: RepoCache, commit: string): string {
  return join(cache.root, 'snapshots', commit);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function cacheError(action: string, path: string, error: unknown) {
  return albertError(ErrorCodes.FILE_READ, `Cannot ${action} ${path} in the download cache: ${errorMessage(error)}`);
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A name no other process or call will pick: `<path>.<pid>.<random>.tmp`. */
function tempName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Writes `text` to `path` atomically (a temporary file renamed over it). */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = tempName(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw cacheError('write', path, error);
  }
}

/** The commit `refs/<revision>` records, if any. */
export async function readRef(cache: RepoCache, revision: string): Promise<string | undefined> {
  try {
    const commit = (await readFile(join(cache.root, 'refs', revision), 'utf8')).trim();
    return commit.length > 0 ? commit : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRef(cache: RepoCache, revision: string, commit: string): Promise<void> {
  if ((await readRef(cache, revision)) === commit) return;
  await writeAtomically(join(cache.root, 'refs', revision), commit);
}

/** True when an earlier download found that `commit` has no `file`. */
export function isKnownMissing(cache: RepoCache, commit: string, file: string): Promise<boolean> {
  return isFile(join(cache.root, '.no_exist', commit, file));
}

export async function markMissing(cache: RepoCache, commit: string, file: string): Promise<void> {
  const path = join(cache.root, '.no_exist', commit, file);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '');
  } catch (error) {
    throw cacheError('write', path, error);
  }
}

/**
 * Puts a blob into a snapshot under `target`: a hard link, or a copy where the file system has none. Written under
 * a temporary name and renamed, so a concurrent reader sees the whole file or nothing.
 */
export async function placeInSnapshot(blob: string, target: string): Promise<void> {
  try {
    const [have, want] = await Promise.all([stat(target).catch(() => undefined), stat(blob)]);
    if (have?.isFile() && have.size === want.size) return;
    await mkdir(dirname(target), { recursive: true });
  } catch (error) {
    throw cacheError('prepare', target, error);
  }
  const temp = tempName(target);
  try {
    try {
      await link(blob, temp);
    } catch {
      await copyFile(blob, temp);
    }
    await rename(temp, target);
    // rename() between two links to the same file does nothing and leaves `temp` (POSIX): remove it.
    await unlink(temp).catch(() => undefined);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    // Another process may have placed it meanwhile (Windows refuses to rename over a file that is open).
    if (!(await isFile(target))) throw cacheError('write', target, error);
  }
}

/** What a lock file holds: who took it. */
interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') return value as LockOwner;
  } catch {
    // Being written, or garbage: judged by age alone.
  }
  return undefined;
}

/** Whether the lock at `path` (holding `text`) was left behind: its process is gone, or it went unrefreshed. */
async function isStale(path: string, text: string): Promise<boolean> {
  const owner = parseOwner(text);
  if (owner && owner.host === hostname() && owner.pid !== process.pid && !pidAlive(owner.pid)) return true;
  try {
    return Date.now() - (await stat(path)).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false;
  }
}

/**
 * Removes a stale lock without removing a fresh one that replaced it meanwhile: the lock is renamed away (atomic),
 * and put back if what was renamed is not the lock judged stale.
 */
async function breakLock(path: string, staleText: string): Promise<void> {
  const grave = tempName(path);
  try {
    await rename(path, grave);
  } catch {
    return; // Someone else removed it.
  }
  const text = await readFile(grave, 'utf8').catch(() => undefined);
  if (text !== staleText) await link(grave, path).catch(() => undefined);
  await unlink(grave).catch(() => undefined);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the exclusive lock file `path` (created with O_EXCL), waiting while another process or call holds it.
 * Returns a release function, or undefined when `done()` turns true while waiting (the holder did the work).
 * A held lock's mtime is refreshed every few seconds; one left unrefreshed, or whose process died, is taken over.
 */
export async function acquireLock(path: string, done: () => Promise<boolean>): Promise<(() => Promise<void>) | undefined> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const text = JSON.stringify(owner);
  let wait = 25;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw cacheError('create the lock file', path, error);
    }
    if (await done()) return undefined;
    const held = await readFile(path, 'utf8').catch(() => undefined);
    if (held !== undefined && (await isStale(path, held))) {
      await breakLock(path, held);
      continue;
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 500);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    // Only remove the lock if it is still ours (it is not taken over while refreshed, but be sure).
    const held = await readFile(path, 'utf8').catch(() => undefined);
    if (held === text) await unlink(path).catch(() => undefined);
  };
}
