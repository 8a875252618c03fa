// The packed GEMM and its fused epilogues against a float64 reference, on the shapes where blocking goes
// wrong: M = 1, rows that are not a multiple of the micro-tile, columns past the last full panel, depths
// split into several blocks, several row blocks, and both thread layouts, on every kernel set.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuInfo } from '../dist/index.js';
import { binding } from '../dist/binding.js';
import { rng } from './helpers/random.mjs';
import { fromBfloat16, fromHalf, toBfloat16, toHalf } from './helpers/write-safetensors.mjs';

const TOLERANCE = 1e-4;

// erf by its Taylor series (float64, |x| <= 4 keeps ~1e-9 after cancellation); +-1 beyond.
function erf(x) {
  if (Math.abs(x) > 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const ACTIVATIONS = {
  linear: (x) => x,
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  relu: (x) => Math.max(0, x),
  silu: (x) => x / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  mish: (x) => x * Math.tanh(Math.log1p(Math.exp(x))),
};

function reference({ m, n, k, a, w, bias, residual, normGamma, normBeta, activation }) {
  const act = ACTIVATIONS[activation ?? 'linear'];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * w[j * k + p];
      if (bias) sum += bias[j];
      if (residual) sum += residual[i * n + j];
      out[i * n + j] = act(sum);
    }
    if (normGamma) {
      const row = out.subarray(i * n, i * n + n);
      const mean = row.reduce((s, v) => s + v, 0) / n;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      for (let j = 0; j < n; j++) row[j] = ((row[j] - mean) / Math.sqrt(variance + 1e-12)) * normGamma[j] + normBeta[j];
    }
  }
  return out;
}

function randomArray(random, count, scale) {
  return Float32Array.from({ length: count }, () => (random.next() * 2 - 1) * scale);
}

function maxDiff(actual, expected) {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) worst = d; // NaN propagates as a failure
  }
  return worst;
}

// [m, n, k]: tails in every dimension, K beyond one depth block (1024) and uneven (1025, 3072), M beyond one
// row block (192), and the shapes of ALBERT-base. [3, 16, 40] and [4, 12, 9] are one weight panel and one row
// block: with 2 threads the columns are split and a single piece owns whole rows (the MLM head's dense layer).
const SHAPES = [
  [1, 1, 1],
  [3, 16, 40],
  [4, 12, 9],
  [1, 768, 768],
  [2, 17, 3],
  [5, 31, 64],
  [7, 33, 1025],
  [13, 50, 3072],
  [16, 2304, 768],
  [193, 40, 130],
  [200, 16, 520],
  [385, 24, 16],
];

const EPILOGUES = [
  { name: 'plain' },
  { name: 'bias + gelu_new', bias: true, activation: 'gelu_new' },
  { name: 'bias + gelu (erf)', bias: true, activation: 'gelu' },
  { name: 'bias + relu', bias: true, activation: 'relu' },
  { name: 'bias + silu', bias: true, activation: 'silu' },
  { name: 'bias + tanh', bias: true, activation: 'tanh' },
  { name: 'bias + mish (scalar epilogue)', bias: true, activation: 'mish' },
  { name: 'bias + residual + LayerNorm', bias: true, residual: true, norm: true },
];

describe('packed GEMM', () => {
  for (const kernel of cpuInfo().kernels) {
    for (const threads of [1, 2]) {
      it(`${kernel} kernels, ${threads} thread(s): every shape and epilogue within ${TOLERANCE}`, (t) => {
        const random = rng(26 + threads);
        let worst = 0;
        for (const [m, n, k] of SHAPES) {
          for (const epilogue of EPILOGUES) {
            if (m * n * k > 4e6 && epilogue.name !== 'bias + residual + LayerNorm') continue; // big shape: once
            const args = {
              m,
              n,
              k,
              a: randomArray(random, m * k, 1),
              w: randomArray(random, n * k, 2 / Math.sqrt(k)),
              bias: epilogue.bias ? randomArray(random, n, 0.5) : undefined,
              residual: epilogue.residual ? randomArray(random, m * n, 1) : undefined,
              normGamma: epilogue.norm ? randomArray(random, n, 1) : undefined,
              normBeta: epilogue.norm ? randomArray(random, n, 1) : undefined,
              activation: epilogue.activation,
            };
            const diff = maxDiff(binding().testing.gemm({ ...args, kernel, threads }), reference(args));
            assert.ok(diff <= TOLERANCE, `${m}x${n}x${k} ${epilogue.name}: max abs diff ${diff}`);
            worst = Math.max(worst, diff);
          }
        }
        t.diagnostic(`max abs diff ${worst.toExponential(2)}`);
      });
    }

    for (const [dtype, round] of [
      ['float16', (v) => fromHalf(toHalf(v))],
      ['bfloat16', (v) => fromBfloat16(toBfloat16(v))],
    ]) {
      it(`${kernel} kernels, ${dtype} weights: equal to the reference on the rounded weights`, () => {
        const random = rng(2616);
        for (const [m, n, k] of [[1, 40, 9], [7, 33, 1025], [19, 70, 300]]) {
          const w = randomArray(random, n * k, 2 / Math.sqrt(k));
          const args = { m, n, k, a: randomArray(random, m * k, 1), w, bias: randomArray(random, n, 0.5), activation: 'gelu_new' };
          const out = binding().testing.gemm({ ...args, kernel, dtype, threads: 2 });
          const diff = maxDiff(out, reference({ ...args, w: Float32Array.from(w, round) }));
          assert.ok(diff <= TOLERANCE, `${dtype} ${m}x${n}x${k}: max abs diff ${diff}`);
        }
      });
    }
  }

  it('rejects arrays of the wrong length with a coded error', () => {
    assert.throws(
      () => binding().testing.gemm({ m: 2, n: 3, k: 4, a: new Float32Array(7), w: new Float32Array(12) }),
      (error) => typeof error.code === 'string' && /a/.test(error.message),
    );
  });
});
