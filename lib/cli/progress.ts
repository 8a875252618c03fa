/**
 * @internal Progress on stderr: a live bar on a terminal (redrawn in place a few times a second), periodic
 * plain lines otherwise, nothing when quiet.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  quiet: boolean;
  /** Seconds between plain lines (not a terminal). */
  interval: number;
  label: string;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function formatRate(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n < 10) return n.toFixed(2);
  return formatCount(n);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export class Progress {
  readonly #o: ProgressOptions;
  readonly #tty: boolean;
  #started = 0;
  /** Rows already done before this run (--resume). */
  #skipped = 0;
  #rows = 0;
  #errors = 0;
  #tokens: number | undefined;
  #total: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastDraw = 0;
  #drawn = false;

  constructor(options: ProgressOptions) {
    this.#o = options;
    this.#tty = Boolean(options.stream.isTTY);
  }

  get enabled(): boolean {
    return !this.#o.quiet;
  }

  /** A message on its own line (the bar is redrawn after it). */
  note(text: string): void {
    if (this.#o.quiet) return;
    this.#clear();
    this.#o.stream.write(`albert-node ${this.#o.label}: ${text}\n`);
  }

  start(skipped: number): void {
    this.#started = performance.now();
    this.#skipped = skipped;
    if (this.#o.quiet) return;
    const period = this.#tty ? 250 : Math.max(0.05, this.#o.interval) * 1000;
    this.#timer = setInterval(() => (this.#tty ? this.#draw(true) : this.#line()), period);
    this.#timer.unref();
  }

  setTotal(total: number): void {
    this.#total = total;
  }

  /** Rows done in this run (results and error records), tokens so far (when counted). */
  update(rows: number, tokens: number | undefined, errors: number): void {
    this.#rows = rows;
    this.#tokens = tokens;
    this.#errors = errors;
    if (this.#tty && !this.#o.quiet) this.#draw(false);
  }

  /** Stops the display and prints the summary line. */
  finish(summary: string | undefined): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#o.quiet) return;
    this.#clear();
    if (summary !== undefined) this.#o.stream.write(`albert-node ${this.#o.label}: ${summary}\n`);
  }

  /** The numbers of the moment. */
  #stats() {
    const seconds = (performance.now() - this.#started) / 1000;
    const rowRate = seconds > 0 ? this.#rows / seconds : 0;
    const tokenRate = this.#tokens !== undefined && seconds > 0 ? this.#tokens / seconds : undefined;
    const done = this.#skipped + this.#rows;
    const total = this.#total !== undefined ? Math.max(this.#total, done) : undefined;
    const eta = total !== undefined && rowRate > 0 ? (total - done) / rowRate : undefined;
    return { seconds, rowRate, tokenRate, done, total, eta };
  }

  summary(verb: string): string {
    const { seconds, rowRate, tokenRate } = this.#stats();
    const parts = [`${verb} ${this.#rows} row${this.#rows === 1 ? '' : 's'}`];
    if (this.#skipped > 0) parts[0] += ` (after ${this.#skipped} kept by --resume)`;
    if (this.#errors > 0) parts.push(`${this.#errors} error record${this.#errors === 1 ? '' : 's'}`);
    parts.push(`in ${formatDuration(seconds)} (${formatRate(rowRate)} rows/s${tokenRate !== undefined ? `, ${formatRate(tokenRate)} tokens/s` : ''})`);
    return parts.join(', ');
  }

  #line(): void {
    const { rowRate, tokenRate, done, total, eta, seconds } = this.#stats();
    const parts = [total !== undefined ? `${done}/${total} rows (${total > 0 ? Math.floor((100 * done) / total) : 100}%)` : `${done} rows`];
    parts.push(`${formatRate(rowRate)} rows/s`);
    if (tokenRate !== undefined) parts.push(`${formatRate(tokenRate)} tokens/s`);
    if (this.#errors > 0) parts.push(`${this.#errors} errors`);
    parts.push(`elapsed ${formatDuration(seconds)}`);
    if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
    this.#o.stream.write(`albert-node ${this.#o.label}: ${parts.join(', ')}\n`);
  }

  #draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const { rowRate, tokenRate, done, total, eta, seconds } = this.#stats();
    const tail = [`${formatRate(rowRate)} rows/s`];
    if (tokenRate !== undefined) tail.push(`${formatRate(tokenRate)} tok/s`);
    if (this.#errors > 0) tail.push(`${this.#errors} err`);
    tail.push(eta !== undefined ? `ETA ${formatDuration(eta)}` : formatDuration(seconds));
    const columns = (this.#o.stream.columns ?? 100) - 1;
    let text: string;
    if (total !== undefined) {
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const count = `${String(Math.floor(fraction * 100)).padStart(3)}% ${done}/${total}`;
      const width = 20;
      const filled = Math.round(fraction * width);
      text = `${this.#o.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count} ${tail.join(' ')}`;
      // A narrow terminal: the bar goes first.
      if (text.length > columns) text = `${this.#o.label} ${count} ${tail.join(' ')}`;
    } else {
      text = `${this.#o.label} ${done} rows ${tail.join(' ')}`;
    }
    if (text.length > columns) text = text.slice(0, columns);
    this.#o.stream.write(`\r\x1b[2K${text}`);
    this.#drawn = true;
  }

  #clear(): void {
    if (this.#tty && this.#drawn) {
      this.#o.stream.write('\r\x1b[2K');
      this.#drawn = false;
    }
  }
}
