/**
 * Unpacks Google's TensorFlow ALBERT releases (`.tar.gz`) into a cache folder, streaming: the archive is piped
 * through gunzip and member data goes straight to files, so a 1 GB release never sits in memory. Unsafe members
 * (absolute names, '..', links, devices, absurd sizes) are refused before anything is written for them, and the
 * unpack happens in a private temporary folder that is renamed into place only once complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { albertError, ErrorCodes, isAlbertNodeError } from './errors';
import { describe } from './inputs';
import {
  BLOCK_SIZE,
  TarFormatError,
  isZeroBlock,
  parseHeader,
  parseLongName,
  parsePaxRecords,
  parsePaxSize,
  safePathComponents,
} from './tar';
import type { TarHeader } from './tar';

/** Where and how `unpackArchive` unpacks. */
export interface ArchiveOptions {
  /** Where archives are unpacked. Default: env ALBERT_NODE_CACHE, else <os.homedir()>/.cache/albert-node. */
  cacheDir?: string;
  /** Refuse archives that unpack to more bytes than this (default 64 GiB). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 64 * 2 ** 30;
/** Pax headers and GNU long names are a few hundred bytes; a bigger one is an attack on memory. */
const METADATA_LIMIT = 1 << 20;
const ARCHIVE_SUFFIX = /\.(tar\.gz|tgz)$/i;
const READ_CHUNK = 1 << 20;
const GUNZIP_CHUNK = 1 << 18;

/** True when `p` names a .tar.gz / .tgz file (by name, and it is a file). False for anything that is not a string. */
export function isArchivePath(p: string): boolean {
  if (typeof p !== 'string' || !ARCHIVE_SUFFIX.test(p)) return false;
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Unpacks a .tar.gz into a folder inside the cache (once: a later call with the same, unchanged archive reuses it) and
 * returns the folder holding the model files: the archive's single top folder when it has exactly one, else the unpack root.
 */
export async function unpackArchive(archivePath: string, options: ArchiveOptions = {}): Promise<string> {
  checkArguments(archivePath, options);
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const archive = await identify(archivePath);
  const target = join(cacheDir, 'archives', cacheKey(archive));
  if (!(await isDirectory(target))) await unpackInto(archive.path, archivePath, cacheDir, target, maxBytes);
  return modelFolder(target);
}

function defaultCacheDir(): string {
  const fromEnv = process.env.ALBERT_NODE_CACHE;
  return fromEnv ? fromEnv : join(homedir(), '.cache', 'albert-node');
}

function checkArguments(archivePath: unknown, options: unknown): void {
  const bad = (message: string) => albertError(ErrorCodes.INVALID_INPUT, `unpackArchive: ${message}`, true);
  if (typeof archivePath !== 'string' || archivePath.length === 0 || archivePath.includes('\0')) {
    throw bad(`archivePath must be a non-empty path string (got ${describe(archivePath)})`);
  }
  if (options === null || typeof options !== 'object') throw bad(`options must be an object (got ${describe(options)})`);
  const { cacheDir, maxBytes } = options as Record<string, unknown>;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || cacheDir.length === 0 || cacheDir.includes('\0'))) {
    throw bad(`options.cacheDir must be a non-empty path string (got ${describe(cacheDir)})`);
  }
  if (maxBytes !== undefined && (typeof maxBytes !== 'number' || !(maxBytes >= 0))) {
    throw bad(`options.maxBytes must be a non-negative number (got ${describe(maxBytes)})`);
  }
}

/** The archive's resolved path and what identifies its contents for the cache. */
interface ArchiveIdentity {
  path: string;
  size: number;
  mtimeMs: number;
}

async function identify(archivePath: string): Promise<ArchiveIdentity> {
  try {
    const path = await realpath(archivePath);
    const info = await stat(path);
    if (!info.isFile()) throw albertError(ErrorCodes.FILE_READ, `Archive ${archivePath} is not a regular file`);
    return { path, size: info.size, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (isAlbertNodeError(error)) throw error;
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw albertError(ErrorCodes.FILE_NOT_FOUND, `Archive not found: ${archivePath}`);
    throw albertError(ErrorCodes.FILE_READ, `Cannot read archive ${archivePath}: ${errorMessage(error)}`);
  }
}

/** `<name>-<hash>`: readable, and a changed archive (size or mtime) gets a new folder instead of a stale one. */
function cacheKey(archive: ArchiveIdentity): string {
  const hash = createHash('sha256').update(`${archive.path}\0${archive.size}\0${archive.mtimeMs}`).digest('hex');
  const stem = basename(archive.path)
    .replace(ARCHIVE_SUFFIX, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 64);
  return `${stem || 'archive'}-${hash.slice(0, 16)}`;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The single top folder when the unpacked archive has exactly one entry and it is a folder, else the root. */
async function modelFolder(root: string): Promise<string> {
  try {
    const entries = await readdir(root, { withFileTypes: true });
    return entries.length === 1 && entries[0]!.isDirectory() ? join(root, entries[0]!.name) : root;
  } catch (error) {
    throw albertError(ErrorCodes.FILE_READ, `Cannot read the unpacked archive folder ${root}: ${errorMessage(error)}`);
  }
}

/** Unpacks into a fresh temporary folder, then renames it to `target`; the temporary folder never outlives a failure. */
async function unpackInto(path: string, shownPath: string, cacheDir: string, target: string, maxBytes: number): Promise<void> {
  const archives = join(cacheDir, 'archives');
  await mkdir(archives, { recursive: true }).catch((error: unknown) => {
    throw albertError(ErrorCodes.FILE_READ, `Cannot create the cache folder ${archives}: ${errorMessage(error)}`);
  });
  const temp = await mkdtemp(join(cacheDir, 'tmp-')).catch((error: unknown) => {
    throw albertError(ErrorCodes.FILE_READ, `Cannot create a temporary folder in the cache folder ${cacheDir}: ${errorMessage(error)}`);
  });
  let moved = false;
  try {
    await extract(path, shownPath, temp, maxBytes);
    moved = await moveIntoPlace(temp, target);
  } finally {
    if (!moved) await rm(temp, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Renames `temp` to `target`; false when another unpack of the same archive finished first (its folder is used). */
async function moveIntoPlace(temp: string, target: string): Promise<boolean> {
  try {
    await rename(temp, target);
    return true;
  } catch (error) {
    if (await isDirectory(target)) return false;
    throw albertError(ErrorCodes.FILE_READ, `Cannot move the unpacked archive ${temp} to ${target}: ${errorMessage(error)}`);
  }
}

/** Streams `path` through gunzip into the tar extractor; maps every failure to a coded error. */
async function extract(path: string, shownPath: string, root: string, maxBytes: number): Promise<void> {
  const input = createReadStream(path, { highWaterMark: READ_CHUNK });
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  const extractor = new Extractor(new ByteReader(gunzip[Symbol.asyncIterator]()), root, shownPath, maxBytes);
  try {
    await extractor.run();
  } catch (error) {
    throw describeFailure(error, shownPath, extractor.location);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/** Where in the tar stream a failure happened, for the message. */
interface Location {
  /** Byte offset of the current header in the uncompressed tar stream. */
  offset: number;
  /** The member's name once known. */
  member: string | undefined;
}

function describeFailure(error: unknown, archivePath: string, where: Location): Error {
  if (isAlbertNodeError(error)) return error;
  if (error instanceof TarFormatError) {
    const place = where.member === undefined ? '' : `member ${JSON.stringify(where.member)}, `;
    return albertError(ErrorCodes.INVALID_ARCHIVE, `Invalid archive ${archivePath}: ${error.message} (${place}header at byte ${where.offset} of the tar stream)`);
  }
  const code = errorCode(error);
  if (code === 'Z_BUF_ERROR') {
    return albertError(ErrorCodes.INVALID_ARCHIVE, `Invalid archive ${archivePath}: the gzip stream is truncated (${errorMessage(error)})`);
  }
  if (code?.startsWith('Z_')) {
    return albertError(ErrorCodes.INVALID_ARCHIVE, `Invalid archive ${archivePath}: not a valid gzip file (${errorMessage(error)})`);
  }
  return albertError(ErrorCodes.FILE_READ, `Cannot read archive ${archivePath}: ${errorMessage(error)}`);
}

/** Pulls exact byte counts out of the gunzip stream's chunks without copying member data. */
class ByteReader {
  /** Bytes consumed so far: the offset in the uncompressed tar stream. */
  position = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** The next 512-byte block, or null when the stream ends cleanly before it. */
  async readBlock(): Promise<Buffer | null> {
    while (this.pending.length === 0) if (!(await this.pull())) return null;
    return this.readExact(BLOCK_SIZE, 'a header');
  }

  /** Exactly `n` bytes (small: headers and metadata), or a truncation error naming `what`. */
  async readExact(n: number, what: string): Promise<Buffer> {
    while (this.pending.length < n) if (!(await this.pull())) throw truncated(what);
    const out = this.pending.subarray(0, n);
    this.consume(n);
    return out;
  }

  /** The next `n` bytes in pieces as they arrive (for member data), or a truncation error naming `what`. */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.pull())) throw truncated(`${what} (${n - left} of ${n} bytes present)`);
      const piece = this.pending.subarray(0, Math.min(left, this.pending.length));
      this.consume(piece.length);
      left -= piece.length;
      yield piece;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _piece of this.take(n, what));
  }

  /** Reads the rest of the stream, so gunzip still checks the trailer (CRC, length) after the tar end marker. */
  async drain(): Promise<void> {
    this.pending = Buffer.alloc(0);
    while (await this.pull()) this.pending = Buffer.alloc(0);
  }

  private consume(n: number): void {
    this.pending = this.pending.subarray(n);
    this.position += n;
  }

  private async pull(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done) return false;
    const chunk = next.value;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    return true;
  }
}

function truncated(what: string): TarFormatError {
  return new TarFormatError(`truncated archive: the stream ends inside ${what}`);
}

/** Overrides from pax 'x' headers and GNU 'L' long names, for the next real member only. */
interface PendingMetadata {
  name?: string;
  size?: number;
}

/** Walks the tar stream member by member, creating folders and writing files under `root`. */
class Extractor {
  readonly location: Location = { offset: 0, member: undefined };
  private pending: PendingMetadata | undefined;
  private written = 0;
  /** Folders this unpack made (paths under root); anything else in the way is a clashing member. */
  private readonly folders = new Set<string>();

  constructor(
    private readonly reader: ByteReader,
    private readonly root: string,
    private readonly archivePath: string,
    private readonly maxBytes: number,
  ) {}

  async run(): Promise<void> {
    let zeroBlocks = 0;
    let members = 0;
    for (;;) {
      const offset = this.reader.position;
      const block = await this.reader.readBlock();
      if (block === null) break;
      // Two zero blocks end the archive; a lone one followed by a header is skipped, as GNU tar does.
      if (isZeroBlock(block)) {
        if (++zeroBlocks === 2) break;
        continue;
      }
      zeroBlocks = 0;
      this.location.offset = offset;
      this.location.member = undefined;
      await this.member(parseHeader(block));
      members++;
    }
    if (this.pending) throw new TarFormatError('truncated archive: a pax or GNU long-name header is not followed by its member');
    // An empty folder would only fail later with a confusing "config not found".
    if (members === 0) throw new TarFormatError('the archive is empty: it holds no members');
    await this.reader.drain();
  }

  private async member(header: TarHeader): Promise<void> {
    if (await this.metadata(header)) return;
    const pending = this.pending ?? {};
    this.pending = undefined;
    const name = pending.name ?? header.name;
    const size = pending.size ?? header.size;
    this.location.member = name;
    const isFolder = memberKind(header, name) === 'folder';
    const parts = safePathComponents(name);
    checkSize(size);
    if (isFolder) {
      await this.makeFolders(parts);
      await this.skipData(size);
      return;
    }
    if (parts.length === 0) throw new TarFormatError('a file member is named like the archive root');
    if (this.written + size > this.maxBytes) {
      throw new TarFormatError(
        `the archive unpacks to more than maxBytes = ${this.maxBytes} bytes (this member declares ${size} bytes after ${this.written} bytes of earlier members)`,
      );
    }
    this.written += size;
    await this.writeFile(parts, size);
  }

  /** Handles pax and GNU long-name headers; false for a real member. */
  private async metadata(header: TarHeader): Promise<boolean> {
    const type = header.type;
    if (type !== 'x' && type !== 'g' && type !== 'L' && type !== 'K') return false;
    this.location.member = header.name;
    checkSize(header.size);
    if (header.size > METADATA_LIMIT) {
      throw new TarFormatError(`a ${metadataName(type)} of ${header.size} bytes (at most ${METADATA_LIMIT} are accepted)`);
    }
    const data = await this.reader.readExact(header.size, `a ${metadataName(type)}`);
    await this.skipPadding(header.size);
    // 'K' (a long link name) only matters for links, which are refused anyway; 'g' (global pax) is ignored.
    if (type === 'L') (this.pending ??= {}).name = parseLongName(data);
    else if (type === 'x') applyPax((this.pending ??= {}), parsePaxRecords(data));
    else if (type === 'K') this.pending ??= {};
    return true;
  }

  private async makeFolders(parts: string[]): Promise<void> {
    for (let i = 1; i <= parts.length; i++) {
      const path = join(this.root, ...parts.slice(0, i));
      if (this.folders.has(path)) continue;
      // Not recursive: EEXIST then means a file of the same name, which is a clash.
      await mkdir(path).catch((error: unknown) => {
        throw this.diskError(error, path);
      });
      this.folders.add(path);
    }
  }

  private async writeFile(parts: string[], size: number): Promise<void> {
    await this.makeFolders(parts.slice(0, -1));
    const path = join(this.root, ...parts);
    // 'wx' fails on anything already there, so a duplicate never overwrites or follows an earlier entry.
    const handle = await open(path, 'wx', 0o644).catch((error: unknown) => {
      throw this.diskError(error, path);
    });
    try {
      for await (const piece of this.reader.take(size, 'the data of this member')) await this.writeAll(handle, piece, path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    await handle.close().catch((error: unknown) => {
      throw this.diskError(error, path);
    });
    await this.skipPadding(size);
  }

  private async skipData(size: number): Promise<void> {
    await this.reader.skip(size, 'the data of this member');
    await this.skipPadding(size);
  }

  private async skipPadding(size: number): Promise<void> {
    await this.reader.skip((BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE, 'the padding after this member');
  }

  private async writeAll(handle: FileHandle, data: Buffer, path: string): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset).catch((error: unknown) => {
        throw this.diskError(error, path);
      });
      offset += bytesWritten;
    }
  }

  /** A clash between members is the archive's fault; anything else (disk full, permissions) is an I/O failure. */
  private diskError(error: unknown, path: string): Error {
    const code = errorCode(error);
    if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
      return new TarFormatError(`the member clashes with an earlier one: a duplicate name, or a file and a folder of the same name (${code})`);
    }
    if (code === 'ENAMETOOLONG') return new TarFormatError('the member name is too long for this file system');
    return albertError(ErrorCodes.FILE_READ, `Cannot write ${path} while unpacking ${this.archivePath}: ${errorMessage(error)}`);
  }
}

function metadataName(type: string): string {
  if (type === 'x') return 'pax extended header';
  if (type === 'g') return 'pax global header';
  return type === 'L' ? 'GNU long name' : 'GNU long link name';
}

function applyPax(pending: PendingMetadata, records: Map<string, string>): void {
  const path = records.get('path');
  if (path) pending.name = path;
  const size = records.get('size');
  if (size !== undefined) pending.size = parsePaxSize(size);
}

const REFUSED_TYPES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
};

/** Regular files and folders only: real releases hold nothing else, and links could point outside the cache. */
function memberKind(header: TarHeader, name: string): 'file' | 'folder' {
  const type = header.type;
  if (type === '5') return 'folder';
  // Pre-POSIX tars mark folders only by a trailing slash.
  if (type === '0' || type === '\0' || type === '7') return name.endsWith('/') && type !== '7' ? 'folder' : 'file';
  const refused = REFUSED_TYPES[type];
  if (refused) {
    const target = header.linkName ? ` to ${JSON.stringify(header.linkName)}` : '';
    throw new TarFormatError(`the member is ${refused}${target}; archives with links, devices or FIFOs are refused`);
  }
  throw new TarFormatError(`unsupported member type ${JSON.stringify(type)}`);
}

/** Sizes must be exact non-negative integers; anything else is refused before a byte is written. */
function checkSize(size: number): void {
  if (Number.isNaN(size)) throw new TarFormatError('the member has a malformed size field');
  if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(`the member declares an impossible size (${size})`);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
