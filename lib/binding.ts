/**
 * @internal Loads the native addon and describes its raw interface. Users never see this module's types:
 * the public classes wrap them.
 */
import * as path from 'node:path';
import { albertError, ErrorCodes } from './errors';

export type NativeIndexArray = Int32Array | BigInt64Array;

export interface NativeForwardInputs {
  batch: number;
  seqLen: number;
  inputIds: NativeIndexArray;
  attentionMask?: NativeIndexArray;
  tokenTypeIds?: NativeIndexArray;
  positionIds?: NativeIndexArray;
}

export interface NativeForwardOutputs {
  lastHiddenState: Float32Array;
  poolerOutput?: Float32Array;
  hiddenStates?: Float32Array[];
}

export interface NativeModelInfo {
  kernel: 'generic' | 'avx2' | 'avx512';
  threads: number;
  hasPooler: boolean;
  weightBytes: number;
}

export interface NativeModel {
  forward(inputs: NativeForwardInputs, outputs: NativeForwardOutputs): Promise<void>;
  dispose(): void;
  config(): Record<string, unknown>;
  info(): NativeModelInfo;
}

export interface NativeCpuInfo {
  avx2: boolean;
  f16c: boolean;
  avx512: boolean;
  defaultKernel: 'generic' | 'avx2' | 'avx512';
  kernels: Array<'generic' | 'avx2' | 'avx512'>;
  cores: number;
}

export interface NativeBinding {
  loadModel(folder: string, options: { threads?: number; kernel?: string }): Promise<NativeModel>;
  cpuInfo(): NativeCpuInfo;
  napiVersion: number;
  testing: {
    parseSafetensors(bytes: Uint8Array): number;
    parseConfig(text: string): Record<string, unknown>;
  };
}

let cached: NativeBinding | undefined;

/** The package root (where binding.gyp, build/ and prebuilds/ live). */
export const packageRoot = path.resolve(__dirname, '..');

/**
 * Loads the addon: the file named by ALBERT_NODE_BINARY when set, else a prebuilt binary or a local build
 * found by node-gyp-build. One error lists every attempt.
 */
export function binding(): NativeBinding {
  if (cached) return cached;
  const attempts: string[] = [];
  const override = process.env.ALBERT_NODE_BINARY;
  if (override) {
    try {
      cached = require(path.resolve(override)) as NativeBinding;
      return cached;
    } catch (error) {
      attempts.push(`ALBERT_NODE_BINARY=${override}: ${(error as Error).message}`);
    }
  } else {
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const load = require('node-gyp-build') as (dir: string) => unknown;
      cached = load(packageRoot) as NativeBinding;
      return cached;
    } catch (error) {
      attempts.push(`prebuilds/ and build/ under ${packageRoot}: ${(error as Error).message}`);
    }
  }
  throw albertError(
    ErrorCodes.BINDING_NOT_FOUND,
    `albert-node could not load its native addon.\n  Tried:\n    - ${attempts.join('\n    - ')}\n` +
      '  Fix: run `npm rebuild albert-node` (needs a C++17 compiler and Python for node-gyp), ' +
      'or set ALBERT_NODE_BINARY to the path of a built albert_node.node.',
  );
}
