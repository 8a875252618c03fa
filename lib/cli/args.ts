/**
 * @internal The CLI's commands and options: one table that both the parser and the help text read, so the
 * help lists every option the parser takes, with its default.
 */
import { parseArgs } from 'node:util';

export type CommandName = 'embed' | 'classify' | 'fill-mask' | 'ner' | 'qa' | 'tokenize';

export const COMMAND_NAMES: readonly CommandName[] = ['embed', 'classify', 'fill-mask', 'ner', 'qa', 'tokenize'];

export interface OptionSpec {
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** Placeholder of the value in the help (string options). */
  arg?: string;
  /** Shown as "(default: ...)"; undefined: no default (the option is off or absent). */
  default?: string;
  choices?: readonly string[];
  help: string;
  /** The commands that take it (default: all). */
  only?: readonly CommandName[];
  /** The commands that do not take it. */
  except?: readonly CommandName[];
  /** Help section. */
  group: 'input' | 'output' | 'model' | 'run' | 'command' | 'other';
}

const MODEL_COMMANDS: readonly CommandName[] = ['embed', 'classify', 'fill-mask', 'ner', 'qa'];

export interface CommandSpec {
  name: CommandName;
  summary: string;
  /** What a result line holds. */
  result: string;
  /** Example invocation. */
  example: string;
}

export const COMMANDS: Record<CommandName, CommandSpec> = {
  embed: {
    name: 'embed',
    summary: 'text embeddings (the feature-extraction pipeline)',
    result: '"embedding": [hidden_size numbers] (pooled), or "embeddings": [one vector per token] with --pooling none',
    example: 'albert-node embed --model ./albert-base-v2 --normalize texts.jsonl --out embeddings.jsonl',
  },
  classify: {
    name: 'classify',
    summary: 'labels with scores (the text-classification pipeline)',
    result: '"labels": [{ "label", "score" }, ...], best first',
    example: 'albert-node classify --model ./albert-sst2 --top-k all reviews.csv --column review',
  },
  'fill-mask': {
    name: 'fill-mask',
    summary: 'candidates for each mask token (the fill-mask pipeline)',
    result: '"candidates": [one list per mask token of { "score", "token", "tokenStr", "sequence" }]',
    example: "echo 'The capital of France is [MASK].' | albert-node fill-mask --model ./albert-base-v2",
  },
  ner: {
    name: 'ner',
    summary: 'named entities (the token-classification pipeline)',
    result: '"entities": [{ "entity" or "entityGroup", "score", "word", "start", "end" (, "index") }, ...]',
    example: 'albert-node ner --model ./albert-ner --aggregation simple news.txt',
  },
  qa: {
    name: 'qa',
    summary: 'extractive question answering over a question and a context per row (the question-answering pipeline)',
    result: '"answers": [{ "score", "start", "end", "answer" }, ...], best first',
    example: 'albert-node qa --model ./albert-squad questions.jsonl --question-field q --context-field passage',
  },
  tokenize: {
    name: 'tokenize',
    summary: 'token ids and tokens (loads only the tokenizer)',
    result: '"ids": [...], "tokens": [...] (, "typeIds" for pairs, "offsets" with --offsets)',
    example: 'albert-node tokenize --model ./albert-base-v2 --max-length 128 corpus.txt',
  },
};

export const OPTIONS: readonly OptionSpec[] = [
  // Input
  {
    name: 'model',
    short: 'm',
    type: 'string',
    arg: 'PATH',
    group: 'input',
    help: 'the model (required): a Hugging Face folder, a TensorFlow checkpoint (folder, prefix or .tar.gz), or a Hub id, as fromPretrained takes',
  },
  {
    name: 'format',
    type: 'string',
    arg: 'FORMAT',
    default: 'auto',
    choices: ['auto', 'jsonl', 'csv', 'tsv', 'lines'],
    group: 'input',
    help: 'input format; auto: by file extension (.jsonl/.ndjson, .csv, .tsv, else lines); stdin: jsonl when its first non-blank line starts with "{", else lines',
  },
  {
    name: 'field',
    type: 'string',
    arg: 'NAME',
    default: 'text',
    except: ['qa'],
    group: 'input',
    help: 'JSONL field, or CSV/TSV column (header name, or 1-based number), of the text',
  },
  {
    name: 'column',
    type: 'string',
    arg: 'NAME|N',
    default: "--field's",
    except: ['qa'],
    group: 'input',
    help: 'the same as --field (for CSV/TSV: a header name or a 1-based column number)',
  },
  {
    name: 'field-pair',
    type: 'string',
    arg: 'NAME',
    only: ['embed', 'classify', 'tokenize'],
    group: 'input',
    help: 'field or column of a second text: each row is the pair [CLS] text [SEP] pair [SEP] (default: none, single texts)',
  },
  { name: 'question-field', type: 'string', arg: 'NAME', default: 'question', only: ['qa'], group: 'input', help: 'field or column of the question' },
  { name: 'context-field', type: 'string', arg: 'NAME', default: 'context', only: ['qa'], group: 'input', help: 'field or column of the context' },
  {
    name: 'id-field',
    type: 'string',
    arg: 'NAME',
    default: 'id',
    group: 'input',
    help: 'field or column copied to each result as "id" when the row has it (lines input has none)',
  },
  { name: 'no-header', type: 'boolean', group: 'input', help: 'CSV/TSV input has no header row: columns are given by number (and --field defaults to 1)' },
  // Output
  { name: 'out', short: 'o', type: 'string', arg: 'FILE', default: 'stdout', group: 'output', help: 'write the JSONL results to FILE' },
  {
    name: 'resume',
    type: 'boolean',
    group: 'output',
    help: 'with --out: keep the complete result lines already in FILE (a partial last line is cut off), skip as many input rows, append the rest',
  },
  // Model and batching
  {
    name: 'cache-dir',
    type: 'string',
    arg: 'DIR',
    default: '$ALBERT_NODE_CACHE, else ~/.cache/albert-node',
    group: 'model',
    help: 'where a .tar.gz model is unpacked and Hub models are downloaded',
  },
  { name: 'revision', type: 'string', arg: 'REV', default: 'main', group: 'model', help: 'Hub models: the branch, tag or commit (a Hub token comes from env HF_TOKEN)' },
  { name: 'offline', type: 'boolean', group: 'model', help: 'Hub models: use the cache only, never the network (also env HF_HUB_OFFLINE=1)' },
  { name: 'threads', type: 'string', arg: 'N', default: 'all cores', only: MODEL_COMMANDS, group: 'model', help: 'threads for the model' },
  {
    name: 'batch-tokens',
    type: 'string',
    arg: 'N',
    default: '16384',
    only: MODEL_COMMANDS,
    group: 'model',
    help: 'token budget of each native batch (sequences are sorted by length and packed without padding)',
  },
  {
    name: 'batch-rows',
    type: 'string',
    arg: 'N',
    default: '4096',
    group: 'model',
    help: 'rows read ahead and run per pipeline call (memory is bounded by two such windows)',
  },
  {
    name: 'max-length',
    type: 'string',
    arg: 'N',
    default: "the model's max_position_embeddings",
    only: ['embed', 'classify', 'fill-mask', 'ner'],
    group: 'model',
    help: 'longest sequence in tokens, special tokens included',
  },
  {
    name: 'max-length',
    type: 'string',
    arg: 'N',
    default: '384',
    only: ['qa'],
    group: 'model',
    help: 'tokens per window of question + context (longer contexts are split into overlapping windows)',
  },
  {
    name: 'max-length',
    type: 'string',
    arg: 'N',
    default: 'none',
    only: ['tokenize'],
    group: 'model',
    help: 'longest sequence in tokens, special tokens included',
  },
  {
    name: 'truncation',
    type: 'string',
    arg: 'MODE',
    default: 'longest_first',
    choices: ['longest_first', 'none'],
    only: ['embed', 'classify', 'fill-mask', 'ner'],
    group: 'model',
    help: 'longest_first: longer rows are cut to --max-length (the longer text of a pair first); none: a longer row is an error record (ERR_ALBERT_SEQUENCE_TOO_LONG)',
  },
  {
    name: 'truncation',
    type: 'string',
    arg: 'MODE',
    default: 'longest_first with --max-length, else none',
    choices: ['longest_first', 'only_first', 'only_second', 'none'],
    only: ['tokenize'],
    group: 'model',
    help: "how rows longer than --max-length (or, without it, the tokenizer's model_max_length) are cut (none: not at all)",
  },
  // Command options
  {
    name: 'pooling',
    type: 'string',
    arg: 'MODE',
    default: 'mean',
    choices: ['mean', 'cls', 'pooler', 'none'],
    only: ['embed'],
    group: 'command',
    help: 'mean: mean of the token states; cls: the first token\'s state; pooler: the pooler output; none: every token\'s state',
  },
  { name: 'normalize', type: 'boolean', only: ['embed'], group: 'command', help: 'divide each embedding by its L2 norm' },
  {
    name: 'top-k',
    type: 'string',
    arg: 'N|all',
    default: '1',
    only: ['classify'],
    group: 'command',
    help: 'labels per row, best first (all: every label)',
  },
  {
    name: 'function',
    type: 'string',
    arg: 'FN',
    default: 'auto',
    choices: ['auto', 'softmax', 'sigmoid', 'none'],
    only: ['classify'],
    group: 'command',
    help: "how logits become scores; auto follows config.json's problem_type (softmax, sigmoid for multi-label or one label, none for regression)",
  },
  { name: 'top-k', type: 'string', arg: 'N', default: '5', only: ['fill-mask'], group: 'command', help: 'candidates per mask token' },
  {
    name: 'targets',
    type: 'string',
    arg: 'LIST',
    default: 'the whole vocabulary',
    only: ['fill-mask'],
    group: 'command',
    help: 'comma-separated candidate tokens (vocabulary entries such as ▁paris; other words count as their first token)',
  },
  {
    name: 'aggregation',
    type: 'string',
    arg: 'STRATEGY',
    default: 'none',
    choices: ['none', 'simple', 'first', 'average', 'max'],
    only: ['ner'],
    group: 'command',
    help: 'none: a label per token; simple: tokens grouped into entities by their B-/I- tags; first/average/max: tokens merged into words (by the first token, the mean, or the best token), then grouped',
  },
  { name: 'ignore-labels', type: 'string', arg: 'LIST', default: 'O', only: ['ner'], group: 'command', help: 'comma-separated labels left out of the results' },
  { name: 'top-k', type: 'string', arg: 'N', default: '1', only: ['qa'], group: 'command', help: 'answers per row, best first' },
  {
    name: 'doc-stride',
    type: 'string',
    arg: 'N',
    default: '128, at most half a window',
    only: ['qa'],
    group: 'command',
    help: 'tokens of overlap between the windows of a long context',
  },
  { name: 'max-answer-len', type: 'string', arg: 'N', default: '15', only: ['qa'], group: 'command', help: 'longest answer in tokens' },
  { name: 'max-question-len', type: 'string', arg: 'N', default: '64', only: ['qa'], group: 'command', help: 'questions are cut to this many tokens' },
  { name: 'handle-impossible', type: 'boolean', only: ['qa'], group: 'command', help: 'also offer the empty answer (start = end = 0) and return it when it scores best' },
  { name: 'no-special-tokens', type: 'boolean', only: ['tokenize'], group: 'command', help: 'leave out [CLS] and [SEP]' },
  { name: 'offsets', type: 'boolean', only: ['tokenize'], group: 'command', help: 'add "offsets": [start, end) of each token in UTF-16 code units of its text' },
  // Run
  { name: 'strict', type: 'boolean', group: 'run', help: 'stop at the first bad row (nothing is written for it) and exit with code 2' },
  { name: 'quiet', short: 'q', type: 'boolean', group: 'run', help: 'no progress or summary on stderr (errors still go there)' },
  {
    name: 'progress-interval',
    type: 'string',
    arg: 'SECONDS',
    default: '5',
    group: 'run',
    help: 'when stderr is not a terminal: seconds between progress lines (a terminal gets a live bar)',
  },
  { name: 'help', short: 'h', type: 'boolean', group: 'other', help: 'show this help' },
];

/** The options a command takes, in table order. */
export function optionsFor(command: CommandName): OptionSpec[] {
  return OPTIONS.filter((o) => (!o.only || o.only.includes(command)) && !o.except?.includes(command));
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  files: string[];
}

export function parse(command: CommandName, argv: readonly string[]): Parsed {
  const specs = optionsFor(command);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of specs) options[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message.includes('Unknown option') ? `${message} (albert-node ${command} does not take it)` : message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const o of specs) {
    const v = values[o.name];
    if (typeof v === 'string' && o.choices && !o.choices.includes(v)) {
      throw new UsageError(`--${o.name} must be one of ${o.choices.join(', ')} (got ${JSON.stringify(v)})`);
    }
  }
  return { values, files: parsed.positionals };
}

// ---------------------------------------------------------------------------------------------------------
// Help

const EXIT_CODES = `Exit codes:
  0    every row was processed (bad rows, if any, got error records)
  1    usage error: unknown command or option, bad option value, missing --model
  2    a bad row with --strict; an input file that cannot be read (or a CSV header without a needed column); a
       model that cannot be loaded; output that cannot be written; --resume onto a file with more lines than the
       input has rows
  130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: the output ends with the complete lines written so far
       (see --resume)`;

const IO_NOTES = `Input: FILE arguments are read in order (- or none: stdin). JSONL: one JSON object per line (a JSON string is a text
  row); CSV/TSV (RFC 4180: quoted fields may hold delimiters, newlines and "" for a quote) with a header row unless
  told --no-header; lines: each line is a text. Blank lines are skipped (they are not rows).
Output: one JSON line per input row, in input order: { "line", "id"?, ...result } where "line" is the 1-based
  line of the input where the row starts ("file" is added when several files are read); a bad row (invalid JSON or
  CSV, a missing or non-string field, an empty text, a row the model rejects) gets
  { "line", "id"?, "error": { "code", "message" } } and the run goes on. Row error codes: ERR_ALBERT_ROW_INVALID_JSON,
  ERR_ALBERT_ROW_INVALID_CSV, ERR_ALBERT_ROW_MISSING_FIELD, ERR_ALBERT_ROW_NOT_TEXT, ERR_ALBERT_ROW_EMPTY_TEXT, and
  the library's ERR_ALBERT_* codes (e.g. ERR_ALBERT_INVALID_INPUT: fill-mask text without a mask token).
Progress goes to stderr: a live bar on a terminal (rows, rows/s, tokens/s, and an ETA when the input is files, whose
  rows are counted first), else a line every --progress-interval seconds; nothing with --quiet.
Signals: SIGINT/SIGTERM stop reading, abandon the batch in flight, flush the complete lines and exit 130/143; rerun
  the same command with --resume to finish.`;

function optionLine(o: OptionSpec): [string, string] {
  const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.arg ? ` ${o.arg}` : ''}`;
  let text = o.help;
  if (o.choices) text += ` (${o.choices.join(' | ')})`;
  if (o.default !== undefined) text += ` (default: ${o.default})`;
  else if (o.type === 'boolean' && o.name !== 'help') text += ' (default: off)';
  return [flag, text];
}

function wrap(text: string, width: number, indent: number): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const GROUPS: Array<[OptionSpec['group'], string]> = [
  ['input', 'Input'],
  ['command', 'Command'],
  ['model', 'Model and batching'],
  ['output', 'Output'],
  ['run', 'Run'],
  ['other', 'Other'],
];

export function commandHelp(command: CommandName): string {
  const spec = COMMANDS[command];
  const specs = optionsFor(command);
  const lines = [
    `albert-node ${command}: ${spec.summary}`,
    '',
    `Usage: albert-node ${command} --model PATH [options] [FILE...]`,
    '',
    wrap(`Result lines: { "line", "id"?, ${spec.result} }`, 116, 2),
  ];
  const rows = specs.map(optionLine);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 4;
  for (const [group, title] of GROUPS) {
    const members = specs.filter((o) => o.group === group);
    if (members.length === 0) continue;
    lines.push('', `${title} options:`);
    for (const o of members) {
      const [flag, text] = optionLine(o);
      lines.push(`  ${flag.padEnd(width)}${wrap(text, Math.max(40, 118 - width), width + 2)}`);
    }
  }
  lines.push('', IO_NOTES, '', EXIT_CODES, '', `Example:\n  ${spec.example}`);
  return lines.join('\n') + '\n';
}

export function mainHelp(version: string): string {
  const width = Math.max(...COMMAND_NAMES.map((c) => c.length)) + 4;
  return [
    `albert-node ${version}: ALBERT inference from the command line, one JSON line of results per input row.`,
    '',
    'Usage: albert-node <command> --model PATH [options] [FILE...]',
    '       albert-node <command> --help     a command\'s options, with their defaults',
    '       albert-node --help | --version',
    '',
    'Commands:',
    ...COMMAND_NAMES.map((c) => `  ${c.padEnd(width)}${COMMANDS[c].summary}`),
    '',
    'Options every command takes: --model, --cache-dir, --revision, --offline, --format, --id-field, --no-header, --out,',
    '--resume, --batch-rows, --strict, --quiet, --progress-interval, --help; model commands also --threads and',
    '--batch-tokens (see each command\'s --help).',
    '',
    IO_NOTES,
    '',
    EXIT_CODES,
    '',
    'Examples:',
    ...COMMAND_NAMES.map((c) => `  ${COMMANDS[c].example}`),
    '',
  ].join('\n');
}
