/**
 * @internal The CLI's output: JSONL lines to stdout or a file, written in whole lines (buffered, with
 * backpressure), so the output always ends with a complete line; and --resume's reading of a file left by
 * an interrupted run.
 */
import { closeSync, createWriteStream, existsSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** Bytes buffered before a write. */
const BUFFER_BYTES = 1 << 16;
/** Buffered lines are written after this long even when few (so a slow run's output shows up). */
const BUFFER_MS = 200;

export class Output {
  #stream: Writable;
  #owned: boolean;
  #buffer = '';
  #timer: NodeJS.Timeout | undefined;
  #error: Error | undefined;
  /** stdout was closed by its reader (EPIPE): stop quietly. */
  closedByReader = false;

  constructor(file: string | undefined, append: boolean, stdout: Writable) {
    if (file === undefined) {
      this.#stream = stdout;
      this.#owned = false;
    } else {
      // Opened here, synchronously, so a path that cannot be written fails before any work is done.
      const fd = openSync(file, append ? 'a' : 'w');
      this.#stream = createWriteStream(file, { fd });
      this.#owned = true;
    }
    this.#stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' && !this.#owned) this.closedByReader = true;
      else this.#error ??= error;
    });
  }

  /** A write error so far (not EPIPE on stdout). */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Adds one line (without its newline). */
  async line(text: string): Promise<void> {
    if (this.#buffer.length === 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, BUFFER_MS);
      this.#timer.unref();
    }
    this.#buffer += text + '\n';
    if (this.#buffer.length >= BUFFER_BYTES) await this.flush();
  }

  /** Writes the buffered lines; resolves when the stream can take more. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0 || this.closedByReader || this.#error) return;
    const chunk = this.#buffer;
    this.#buffer = '';
    if (!this.#stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#stream.off('drain', done);
          this.#stream.off('close', done);
          this.#stream.off('error', done);
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('close', done);
        this.#stream.on('error', done);
      });
    }
  }

  /** Flushes and, for a file, closes it; resolves once everything reached the OS. */
  async close(): Promise<void> {
    await this.flush();
    if (this.closedByReader) return;
    await new Promise<void>((resolve) => {
      if (this.#owned) {
        this.#stream.end(() => resolve());
        this.#stream.once('error', () => resolve());
      } else {
        // stdout is not ours to close: wait until what was written is handed to the OS.
        this.#stream.write('', () => resolve());
      }
    });
  }
}

/**
 * --resume: the number of complete lines in `file` (0 when it does not exist), after cutting off a partial
 * last line (one without its newline: a write the interruption cut short).
 */
export function prepareResume(file: string): number {
  if (!existsSync(file)) return 0;
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    let lastNewline = -1;
    for (let at = 0; at < size; ) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - at), at);
      if (n <= 0) break;
      for (let i = buffer.indexOf(10, 0); i !== -1 && i < n; i = buffer.indexOf(10, i + 1)) {
        lines++;
        lastNewline = at + i;
      }
      at += n;
    }
    if (lastNewline + 1 < size) ftruncateSync(fd, lastNewline + 1);
    return lines;
  } finally {
    closeSync(fd);
  }
}
