// The CPU speed benchmarks of albert-node against onnxruntime-node and transformers.js on ALBERT-base
// (fixtures/base-random), all in one process with the same thread count:
//   uniform  - a 32 x 128 batch: tokens/s, ratio to onnxruntime, GFLOP/s against this machine's SGEMM peak
//   mixed    - N real sentences (5..128 tokens) end to end from strings: albert-node's tokenizer + forwardMany,
//              transformers.js feature-extraction in batches of 32, onnxruntime with padded batches of 32
//   latency  - one sequence of 16 and of 128 tokens: p50 / p99 over many runs
//   memory   - RSS after load and peak RSS during the mixed job, each engine in its own child process
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { AlbertModel, Tokenizer } from '../dist/index.js';
import { binding } from '../dist/binding.js';
import { baseRandom, fixturesRoot, median, parseArgs, percentile, printTable, timeRuns } from './common.mjs';
import { mixedCorpus } from './corpus.mjs';

const HELP = `usage: node bench/speed.mjs [options]
  --jobs       comma-separated: uniform,mixed,latency,memory (default: all)
  --threads    comma-separated thread counts (default: 1,2 capped at the cores)
  --sentences  sentences in the mixed job (default 2000)
  --runs       latency runs per shape (default 200)
  --seconds    minimum measuring time per uniform measurement (default 10)
  --dtypes     albert-node weight storage for the mixed, latency and memory jobs (default: float32,float16)
  --engine     internal: run the memory probe for one engine (albert-node | onnxruntime | transformers.js)`;

const args = parseArgs(
  { jobs: 'uniform,mixed,latency,memory', threads: '', sentences: 2000, runs: 200, seconds: 10, dtypes: 'float32,float16', engine: '' },
  HELP,
);
const threadCounts = (args.threads || [1, 2].filter((t) => t <= cpus().length).join(',')).split(',').map(Number);
const jobs = new Set(args.jobs.split(','));
const dtypes = args.dtypes.split(',');
const onnxPath = resolve(baseRandom, 'onnx', 'model.onnx');
// FLOPs per token of ALBERT-base (multiply-adds x 2): the dense layers of 12 passes plus the E->H projection;
// attention's T-dependent part is added per shape.
const H = 768;
const DENSE_FLOPS_PER_TOKEN = 2 * (12 * (3 * H * H + H * H + 2 * H * 3072) + 128 * H);
const attentionFlopsPerToken = (seqLen) => 12 * 2 * 2 * seqLen * H;

async function loadOrt(threads) {
  return ort.InferenceSession.create(onnxPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

function ortFeeds(rows, seqLen) {
  // rows: arrays of token ids; right-padded with 0 and masked.
  const batch = rows.length;
  const ids = new BigInt64Array(batch * seqLen);
  const mask = new BigInt64Array(batch * seqLen);
  rows.forEach((row, b) => {
    for (let t = 0; t < row.length; t++) {
      ids[b * seqLen + t] = BigInt(row[t]);
      mask[b * seqLen + t] = 1n;
    }
  });
  return {
    input_ids: new ort.Tensor('int64', ids, [batch, seqLen]),
    attention_mask: new ort.Tensor('int64', mask, [batch, seqLen]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch * seqLen), [batch, seqLen]),
  };
}

const syntheticIds = (count) => Int32Array.from({ length: count }, (_, i) => 5 + ((i * 7919) % 29990));

async function uniformJob() {
  const rows = [];
  for (const threads of threadCounts) {
    const [batch, seqLen] = [32, 128];
    const ids = syntheticIds(batch * seqLen);
    const model = await AlbertModel.fromPretrained(baseRandom, { threads });
    const session = await loadOrt(threads);
    const feeds = ortFeeds(Array.from({ length: batch }, (_, b) => ids.subarray(b * seqLen, (b + 1) * seqLen)), seqLen);
    // Two turns each, alternating, so a slow phase of a shared machine falls on both engines.
    const timing = { warmup: 1, minIterations: 2, minSeconds: args.seconds / 2 };
    const albertTimes = [];
    const ortTimes = [];
    for (let turn = 0; turn < 2; turn++) {
      albertTimes.push(...(await timeRuns(() => model.forward({ inputIds: { data: ids, dims: [batch, seqLen] } }), timing)));
      ortTimes.push(...(await timeRuns(() => session.run(feeds), timing)));
    }
    const albertMs = median(albertTimes);
    const ortMs = median(ortTimes);
    const tokens = batch * seqLen;
    const flops = tokens * (DENSE_FLOPS_PER_TOKEN + attentionFlopsPerToken(seqLen));
    const gemm = binding().testing.benchmarkGemm({ m: 4096, n: 2304, k: 768, threads, seconds: 3 });
    const peak = gemm.fmaPeakPerCore * threads;
    rows.push({
      threads,
      'albert-node tok/s': (tokens / albertMs * 1000).toFixed(0),
      'onnxruntime tok/s': (tokens / ortMs * 1000).toFixed(0),
      'ratio vs ORT': (ortMs / albertMs).toFixed(2),
      'albert-node GFLOP/s': (flops / albertMs / 1e6).toFixed(1),
      'onnxruntime GFLOP/s': (flops / ortMs / 1e6).toFixed(1),
      'SGEMM GFLOP/s (own, 4096x2304x768)': gemm.gflops.toFixed(1),
      'FMA peak GFLOP/s': peak.toFixed(1),
      'albert-node % of SGEMM': ((flops / albertMs / 1e6 / gemm.gflops) * 100).toFixed(0),
    });
    model.dispose();
    await session.release();
  }
  console.log('\n## Job 1: uniform batch 32 x 128');
  printTable(rows, Object.keys(rows[0]));
}

async function loadTransformersJs(threads) {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = fixturesRoot;
  return pipeline('feature-extraction', 'base-random', {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
  });
}

// Loads one engine for the mixed job.
async function loadEngine(engine, threads, dtype = 'float32') {
  if (engine === 'albert-node') return AlbertModel.fromPretrained(baseRandom, { threads, dtype });
  if (engine === 'onnxruntime') return loadOrt(threads);
  return loadTransformersJs(threads);
}

async function releaseEngine(engine, handle) {
  if (engine === 'albert-node') handle.dispose();
  else if (engine === 'onnxruntime') await handle.release();
  else await handle.dispose();
}

// Runs the mixed job on a loaded engine; returns { seconds, tokens }.
async function runMixed(engine, handle, texts, tokenizer) {
  let tokens = 0;
  const t0 = performance.now();
  if (engine === 'albert-node') {
    for (let i = 0; i < texts.length; i += 512) {
      const enc = await tokenizer.encodeBatch(texts.slice(i, i + 512), { truncation: true, maxLength: 128 });
      const seqLen = enc.inputIds.dims[1];
      const sequences = Array.from(enc.lengths, (length, b) => enc.inputIds.data.subarray(b * seqLen, b * seqLen + length));
      tokens += enc.lengths.reduce((a, b) => a + b, 0);
      await handle.forwardMany(sequences, { outputs: { lastHiddenState: false } });
    }
  } else if (engine === 'onnxruntime') {
    for (let i = 0; i < texts.length; i += 32) {
      const enc = tokenizer.encodeBatchSync(texts.slice(i, i + 32), { truncation: true, maxLength: 128 });
      const seqLen = enc.inputIds.dims[1];
      const rows = Array.from(enc.lengths, (length, b) => enc.inputIds.data.subarray(b * seqLen, b * seqLen + length));
      tokens += enc.lengths.reduce((a, b) => a + b, 0);
      await handle.run(ortFeeds(rows, seqLen));
    }
  } else {
    for (let i = 0; i < texts.length; i += 32) {
      const out = await handle(texts.slice(i, i + 32), { pooling: 'none' });
      tokens += out.dims[0] * out.dims[1];
    }
  }
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

async function mixedRun(engine, threads, texts, tokenizer, dtype = 'float32') {
  const handle = await loadEngine(engine, threads, dtype);
  const result = await runMixed(engine, handle, texts, tokenizer);
  await releaseEngine(engine, handle);
  return result;
}

async function mixedJob(tokenizer, texts) {
  const realTokens = texts.reduce((n, t) => n + tokenizer.encode(t).ids.length, 0);
  const rows = [];
  for (const threads of threadCounts) {
    const results = {};
    for (const engine of ['onnxruntime', 'transformers.js']) results[engine] = await mixedRun(engine, threads, texts, tokenizer);
    for (const dtype of dtypes) results[dtype] = await mixedRun('albert-node', threads, texts, tokenizer, dtype);
    const rate = (engine) => realTokens / results[engine].seconds;
    for (const dtype of dtypes) {
      rows.push({
        threads,
        sentences: texts.length,
        'real tokens': realTokens,
        'albert-node weights': dtype,
        'albert-node tok/s': rate(dtype).toFixed(0),
        'onnxruntime tok/s (padded 32)': rate('onnxruntime').toFixed(0),
        'transformers.js tok/s (batches of 32)': rate('transformers.js').toFixed(0),
        'vs ORT': (rate(dtype) / rate('onnxruntime')).toFixed(2),
        'vs transformers.js': (rate(dtype) / rate('transformers.js')).toFixed(2),
      });
    }
  }
  console.log(`\n## Job 2: mixed-length job, ${texts.length} real sentences end to end from strings (real tokens/s)`);
  printTable(rows, Object.keys(rows[0]));
}

async function latencyJob() {
  const rows = [];
  for (const threads of threadCounts) {
    const models = {};
    for (const dtype of dtypes) models[dtype] = await AlbertModel.fromPretrained(baseRandom, { threads, dtype });
    const session = await loadOrt(threads);
    for (const seqLen of [16, 128]) {
      const ids = syntheticIds(seqLen);
      const feeds = ortFeeds([ids], seqLen);
      const timing = { warmup: 5, minIterations: args.runs, minSeconds: 0 };
      // Engines take turns in blocks (ORT's pool spins between runs, so runs are not interleaved one by one):
      // slow phases of a shared machine then fall on all of them alike.
      const times = { ort: [] };
      for (const dtype of dtypes) times[dtype] = [];
      const blocks = 4;
      const block = { ...timing, minIterations: Math.ceil(args.runs / blocks) };
      for (let b = 0; b < blocks; b++) {
        for (const dtype of dtypes) {
          times[dtype].push(...(await timeRuns(() => models[dtype].forward({ inputIds: { data: ids, dims: [1, seqLen] } }), block)));
        }
        times.ort.push(...(await timeRuns(() => session.run(feeds), block)));
      }
      const o = times.ort;
      for (const dtype of dtypes) {
        const a = times[dtype];
        rows.push({
          threads,
          tokens: seqLen,
          'albert-node weights': dtype,
          'albert-node p50 ms': percentile(a, 50).toFixed(2),
          'albert-node p99 ms': percentile(a, 99).toFixed(2),
          'onnxruntime p50 ms': percentile(o, 50).toFixed(2),
          'onnxruntime p99 ms': percentile(o, 99).toFixed(2),
          'p50 ratio (albert/ORT)': (percentile(a, 50) / percentile(o, 50)).toFixed(2),
        });
      }
    }
    for (const model of Object.values(models)) model.dispose();
    await session.release();
  }
  console.log(`\n## Job 3: latency of one sequence (${args.runs} runs)`);
  printTable(rows, Object.keys(rows[0]));
}

// Linux: VmRSS now, and VmHWM (peak) since the last reset through /proc/self/clear_refs.
async function memoryStatus() {
  const { readFileSync } = await import('node:fs');
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function memoryProbe(name) {
  const [engine, dtype = 'float32'] = name.split(':');
  const { writeFileSync } = await import('node:fs');
  const tokenizer = await Tokenizer.fromPretrained(baseRandom);
  const texts = mixedCorpus(tokenizer, args.sentences);
  const threads = threadCounts.at(-1);
  const before = await memoryStatus();
  writeFileSync('/proc/self/clear_refs', '5');
  const handle = await loadEngine(engine, threads, dtype);
  const loaded = await memoryStatus();
  // The job on the loaded engine, with the peak counter reset.
  writeFileSync('/proc/self/clear_refs', '5');
  await runMixed(engine, handle, texts, tokenizer);
  const after = await memoryStatus();
  await releaseEngine(engine, handle);
  console.log(JSON.stringify({ engine: name, baseMiB: before.rss, rssAfterLoadMiB: loaded.rss, peakDuringLoadMiB: loaded.peak, peakDuringJobMiB: after.peak }));
}

async function memoryJob() {
  const rows = [];
  const script = fileURLToPath(import.meta.url);
  for (const engine of [...dtypes.map((dtype) => `albert-node:${dtype}`), 'onnxruntime', 'transformers.js']) {
    const child = spawnSync(process.execPath, [script, '--engine', engine, '--sentences', String(Math.min(args.sentences, 500)), '--threads', String(threadCounts.at(-1))], {
      encoding: 'utf8',
    });
    const line = child.stdout.trim().split('\n').at(-1);
    if (child.status !== 0) throw new Error(`memory probe for ${engine} failed:\n${child.stderr}`);
    rows.push(JSON.parse(line));
  }
  const ort = rows.find((r) => r.engine === 'onnxruntime');
  console.log('\n## Job 4: memory (separate processes; RSS includes Node itself, the tokenizer and the corpus)');
  printTable(
    rows.map((r) => ({
      engine: r.engine,
      'RSS before load MiB': r.baseMiB.toFixed(0),
      'RSS after load MiB': r.rssAfterLoadMiB.toFixed(0),
      'peak RSS during load MiB': r.peakDuringLoadMiB.toFixed(0),
      'peak RSS during mixed job MiB': r.peakDuringJobMiB.toFixed(0),
      'after load vs ORT': (r.rssAfterLoadMiB / ort.rssAfterLoadMiB).toFixed(2),
      'job peak vs ORT': (r.peakDuringJobMiB / ort.peakDuringJobMiB).toFixed(2),
      "model's own RSS vs ORT": ((r.rssAfterLoadMiB - r.baseMiB) / (ort.rssAfterLoadMiB - ort.baseMiB)).toFixed(2),
    })),
    ['engine', 'RSS before load MiB', 'RSS after load MiB', 'peak RSS during load MiB', 'peak RSS during mixed job MiB', 'after load vs ORT', 'job peak vs ORT', "model's own RSS vs ORT"],
  );
}

if (args.engine) {
  await memoryProbe(args.engine);
} else {
  console.log(`albert-node speed benchmarks on ${cpus()[0].model}, ${cpus().length} cores; kernels: ${binding().cpuInfo().defaultKernel}`);
  if (jobs.has('uniform')) await uniformJob();
  if (jobs.has('mixed')) {
    const tokenizer = await Tokenizer.fromPretrained(baseRandom);
    await mixedJob(tokenizer, mixedCorpus(tokenizer, args.sentences));
  }
  if (jobs.has('latency')) await latencyJob();
  if (jobs.has('memory') && process.platform === 'linux') await memoryJob();
}
