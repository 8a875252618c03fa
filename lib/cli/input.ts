/**
 * @internal Reading the CLI's input: JSONL, CSV/TSV (RFC 4180) and plain lines, from files or stdin, as a
 * stream of rows with the line each starts on. Rows are parsed lazily (JSON.parse happens when a row is
 * used, so rows skipped by --resume cost only a line split), and a row's problems travel with it.
 */
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

export type Format = 'jsonl' | 'csv' | 'tsv' | 'lines';

export interface RowError {
  code: string;
  message: string;
}

export interface InputRow {
  /** The file's name as given (or '-' for stdin). */
  file: string;
  /** 1-based line where the row starts. */
  line: number;
  format: Format;
  /** jsonl and lines: the line's text. */
  text?: string;
  /** csv/tsv: the record's fields. */
  cells?: string[];
  /** csv/tsv with a header: column name -> index. */
  header?: Map<string, number>;
  /** A problem found while reading (e.g. an unterminated quoted field). */
  error?: RowError;
  /** jsonl: the parsed line, once parsed. */
  parsed?: unknown;
  /** Set once the row is parsed: the value of --id-field, when it has one. */
  id?: unknown;
}

export interface InputSource {
  /** As given: a path, or '-' for stdin. */
  name: string;
  format: Format | 'auto-stdin';
}

export const ROW_ERRORS = {
  INVALID_JSON: 'ERR_ALBERT_ROW_INVALID_JSON',
  INVALID_CSV: 'ERR_ALBERT_ROW_INVALID_CSV',
  MISSING_FIELD: 'ERR_ALBERT_ROW_MISSING_FIELD',
  NOT_TEXT: 'ERR_ALBERT_ROW_NOT_TEXT',
  EMPTY_TEXT: 'ERR_ALBERT_ROW_EMPTY_TEXT',
} as const;

/** The format of a file by its extension. */
export function formatOf(file: string): Format {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  return 'lines';
}

function open(name: string, stdin: Readable): Readable {
  const stream = name === '-' ? stdin : createReadStream(name);
  stream.setEncoding('utf8');
  return stream;
}

/** Every row of every source, in order. `header`: CSV/TSV files start with a header row. */
export async function* readRows(sources: readonly InputSource[], header: boolean, stdin: Readable): AsyncGenerator<InputRow> {
  for (const source of sources) {
    const stream = open(source.name, stdin);
    try {
      if (source.format === 'csv' || source.format === 'tsv') yield* csvRows(stream, source.name, source.format, header);
      else yield* lineRows(stream, source.name, source.format);
    } finally {
      if (source.name !== '-') stream.destroy();
    }
  }
}

/** Lines of a stream (without their \n or \r\n), numbered from 1; a UTF-8 BOM is dropped. */
async function* lines(stream: Readable): AsyncGenerator<[string, number]> {
  let rest = '';
  let line = 0;
  let first = true;
  for await (const chunk of stream as AsyncIterable<string>) {
    let s = rest.length > 0 ? rest + chunk : chunk;
    if (first) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', start)) {
      const end = nl > start && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield [s.slice(start, end), ++line];
      start = nl + 1;
    }
    rest = s.slice(start);
  }
  if (rest.length > 0) yield [rest.charCodeAt(rest.length - 1) === 13 ? rest.slice(0, -1) : rest, ++line];
}

const BLANK = /^\s*$/;

async function* lineRows(stream: Readable, file: string, format: InputSource['format']): AsyncGenerator<InputRow> {
  let kind: Format | undefined = format === 'auto-stdin' ? undefined : format;
  for await (const [text, line] of lines(stream)) {
    if (BLANK.test(text)) continue;
    kind ??= text.trimStart().startsWith('{') ? 'jsonl' : 'lines';
    yield { file, line, format: kind, text };
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * CSV/TSV records (RFC 4180): fields separated by the delimiter, records by \n, \r\n or \r; a field that
 * starts with a quote runs to the next lone quote ("" inside is a quote) and may hold delimiters and line
 * breaks. Text after a closing quote is kept (as Python's csv module does). Empty lines are skipped.
 */
async function* csvRows(stream: Readable, file: string, format: 'csv' | 'tsv', hasHeader: boolean): AsyncGenerator<InputRow> {
  const delimiter = format === 'csv' ? 44 : 9;
  let header: Map<string, number> | undefined;
  let wantHeader = hasHeader;
  // Parser state, kept across chunks.
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quote was just seen inside a quoted field
  let atFieldStart = true;
  let sawQuote = false; // the record has a quoted field (so an empty one still counts)
  let line = 1;
  let recordLine = 1;
  let skipLF = false;
  let first = true;
  const out: InputRow[] = [];

  const endRecord = () => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0] === '' && !sawQuote;
    const cells = fields;
    fields = [];
    field = '';
    atFieldStart = true;
    sawQuote = false;
    if (blank) return;
    if (wantHeader) {
      wantHeader = false;
      header = new Map();
      cells.forEach((name, i) => {
        if (!header!.has(name)) header!.set(name, i);
      });
      return;
    }
    out.push({ file, line: recordLine, format, cells, header });
  };

  for await (const chunk of stream as AsyncIterable<string>) {
    let s = chunk;
    if (first) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    let i = 0;
    const n = s.length;
    if (skipLF && n > 0) {
      if (s.charCodeAt(0) === LF) i = 1;
      skipLF = false;
    }
    while (i < n) {
      if (quoted) {
        if (afterQuote) {
          afterQuote = false;
          if (s.charCodeAt(i) === QUOTE) {
            field += '"';
            i++;
            continue;
          }
          quoted = false; // the quote closed the field; what follows is read as unquoted text
          continue;
        }
        const q = s.indexOf('"', i);
        const end = q === -1 ? n : q;
        const part = s.slice(i, end);
        field += part;
        for (let k = part.indexOf('\n'); k !== -1; k = part.indexOf('\n', k + 1)) line++;
        if (q === -1) {
          i = n;
        } else {
          afterQuote = true;
          i = q + 1;
        }
        continue;
      }
      const c = s.charCodeAt(i);
      if (atFieldStart && c === QUOTE) {
        quoted = true;
        sawQuote = true;
        atFieldStart = false;
        i++;
        continue;
      }
      if (c === delimiter) {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        endRecord();
        line++;
        recordLine = line;
        i++;
        if (c === CR) {
          if (i < n) {
            if (s.charCodeAt(i) === LF) i++;
          } else skipLF = true;
        }
        continue;
      }
      // A run of plain text up to the next delimiter or line break.
      atFieldStart = false;
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === delimiter || d === LF || d === CR) break;
        j++;
      }
      field += s.slice(i, j);
      i = j;
    }
    if (out.length > 0) {
      yield* out;
      out.length = 0;
    }
  }
  if (quoted && !afterQuote) {
    fields.push(field);
    const cells = fields;
    if (wantHeader) return;
    yield {
      file,
      line: recordLine,
      format,
      cells,
      header,
      error: { code: ROW_ERRORS.INVALID_CSV, message: `unterminated quoted field: the file ends inside a quoted field of the record starting on line ${recordLine}` },
    };
    return;
  }
  if (fields.length > 0 || field !== '' || sawQuote || quoted) {
    endRecord();
    yield* out;
  }
}

/**
 * Counts the rows of a file as readRows yields them (blank lines skipped; CSV quotes honored), cheaply, on
 * bytes. Approximate only where a line holds nothing but non-ASCII whitespace.
 */
export async function countRows(file: string, format: Format | 'auto-stdin', header: boolean): Promise<number> {
  const csv = format === 'csv' || format === 'tsv';
  let rows = 0;
  let content = false;
  let inQuotes = false;
  let previousCR = false;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (csv && b === QUOTE) {
        inQuotes = !inQuotes;
        content = true;
      } else if (b === LF || (csv && b === CR)) {
        if (!inQuotes) {
          if (!(b === LF && previousCR) && content) rows++;
          content = false;
        }
      } else if (csv || (b !== 32 && b !== 9 && b !== 11 && b !== 12 && b !== CR)) {
        content = true;
      }
      previousCR = b === CR;
    }
  }
  if (content) rows++;
  if (csv && header && rows > 0) rows--;
  return rows;
}
