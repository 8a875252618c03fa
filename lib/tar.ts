/**
 * @internal Tar header parsing for lib/archive.ts: ustar, GNU (long names, base-256 numbers) and pax extended
 * headers. Pure functions over 512-byte blocks; they throw `TarFormatError`, which the caller turns into a coded
 * error naming the archive, member and offset.
 */

/** Tar's block size: headers and member data are padded to it. */
export const BLOCK_SIZE = 512;

/** @internal A malformed or unsafe tar stream; the message says what is wrong, the caller adds where. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

/** One parsed 512-byte header, before pax / GNU long-name overrides. */
export interface TarHeader {
  /** Member name: ustar `prefix` + '/' + `name` when the prefix is set, else `name`. */
  name: string;
  /** Declared data size in bytes; NaN when the field is malformed, negative for a negative base-256 value. */
  size: number;
  /** The typeflag character ('\0' for old regular files). */
  type: string;
  /** Link target (for '1' / '2' members). */
  linkName: string;
}

// Field offsets and lengths of the ustar header.
const NAME = [0, 100] as const;
const SIZE = [124, 12] as const;
const CHECKSUM = [148, 8] as const;
const TYPE = 156;
const LINK_NAME = [157, 100] as const;
const MAGIC = [257, 6] as const;
const PREFIX = [345, 155] as const;

/** True when every byte of `block` is zero (one half of the end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses one header block, after verifying its checksum. */
export function parseHeader(block: Buffer): TarHeader {
  if (block.length !== BLOCK_SIZE) throw new TarFormatError(`a header is ${block.length} bytes, not ${BLOCK_SIZE}`);
  verifyChecksum(block);
  const name = cString(block, NAME[0], NAME[1]);
  // Only POSIX ustar has a prefix; old GNU headers keep access/change times at the same offset.
  const isUstar = block.toString('latin1', MAGIC[0], MAGIC[0] + MAGIC[1]) === 'ustar\0';
  const prefix = isUstar ? cString(block, PREFIX[0], PREFIX[1]) : '';
  return {
    name: prefix ? `${prefix}/${name}` : name,
    size: parseNumber(block.subarray(SIZE[0], SIZE[0] + SIZE[1])),
    type: String.fromCharCode(block[TYPE]!),
    linkName: cString(block, LINK_NAME[0], LINK_NAME[1]),
  };
}

/**
 * A numeric header field: octal digits (leading spaces allowed, ended by NUL or space), or GNU base-256 when the
 * high bit of the first byte is set. Returns 0 for an empty field, NaN for a malformed one, -1 for a negative
 * base-256 value, and a value above Number.MAX_SAFE_INTEGER (so callers see it as absurd) when it does not fit.
 */
export function parseNumber(field: Uint8Array): number {
  if (field.length > 0 && field[0]! & 0x80) return parseBase256(field);
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  for (; i < field.length; i++) {
    const c = field[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return NaN;
    value = value * 8 + (c - 0x30);
  }
  // Whatever follows the terminator must be padding, or the field was not really a number.
  for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return NaN;
  return value;
}

function parseBase256(field: Uint8Array): number {
  // 0xff leads a two's-complement negative value: no real size or time is negative.
  if (field[0] === 0xff) return -1;
  let value = BigInt(field[0]! & 0x7f);
  for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]!);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 2 : Number(value);
}

/** Checks the header checksum: the unsigned byte sum with the checksum field read as spaces, or the signed-char variant. */
function verifyChecksum(block: Buffer): void {
  const stored = parseNumber(block.subarray(CHECKSUM[0], CHECKSUM[0] + CHECKSUM[1]));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const inField = i >= CHECKSUM[0] && i < CHECKSUM[0] + CHECKSUM[1];
    const byte = inField ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) {
    const storedText = Number.isNaN(stored) ? 'a malformed checksum field' : `stored ${stored}`;
    throw new TarFormatError(`bad header checksum (${storedText}, computed ${unsigned}): not a tar archive, or a corrupt header`);
  }
}

/** A NUL-terminated string field, decoded as UTF-8 (what pax and modern tars write). */
function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  const stop = end === -1 || end > offset + length ? offset + length : end;
  return block.toString('utf8', offset, stop);
}

/** The data of a GNU 'L' / 'K' member: a name, NUL-terminated or not. */
export function parseLongName(data: Buffer): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  const name = data.toString('utf8', 0, end);
  if (name.includes('\0')) throw new TarFormatError('a GNU long name holds a NUL byte');
  return name;
}

/**
 * The records of a pax extended header ("<length> <key>=<value>\n", length counting the whole record, in bytes).
 * Returns key -> value; later records win, as in pax.
 */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    // Writers pad the last block with NULs.
    if (data[offset] === 0) break;
    const space = data.indexOf(0x20, offset);
    const lengthText = space === -1 ? '' : data.toString('latin1', offset, space);
    const length = /^[0-9]{1,12}$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = offset + length;
    if (!(length > lengthText.length + 1) || end > data.length || data[end - 1] !== 0x0a) {
      throw new TarFormatError(`a malformed pax record at byte ${offset} of its extended header`);
    }
    const record = data.toString('utf8', space + 1, end - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError(`a pax record without "key=value" at byte ${offset} of its extended header`);
    records.set(record.slice(0, eq), record.slice(eq + 1));
    offset = end;
  }
  return records;
}

/** A pax `size` value: decimal digits only. */
export function parsePaxSize(value: string): number {
  return /^[0-9]{1,20}$/.test(value) ? Number(value) : NaN;
}

/**
 * Splits a member name into safe path components, or throws naming the reason: absolute names, Windows drives,
 * backslashes, NUL bytes and '..' components are refused; '.' components and repeated or trailing slashes are
 * dropped. Returns [] for the archive root itself ('.' or './').
 */
export function safePathComponents(name: string): string[] {
  // The caller's message names the member, so these only say what is wrong with it.
  if (name.length === 0) throw new TarFormatError('a member has an empty name');
  if (name.includes('\0')) throw new TarFormatError('the member name holds a NUL byte');
  if (name.includes('\\')) throw new TarFormatError('the member name holds a backslash');
  if (name.startsWith('/')) throw new TarFormatError('the member name is an absolute path');
  if (/^[A-Za-z]:/.test(name)) throw new TarFormatError('the member name starts with a Windows drive');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new TarFormatError("the member name has a '..' path component");
  return parts;
}
