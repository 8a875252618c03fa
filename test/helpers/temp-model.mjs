// Builds throwaway model folders derived from a fixture model (other dtypes, shards, broken files).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const created = [];
after(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'albert-node-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Raw tensors of a safetensors file: name, dtype, shape and bytes, in file order. */
export function readRawTensors(path) {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const start = 8 + headerLength;
  return Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])
    .map(([name, e]) => ({
      name,
      dtype: e.dtype,
      shape: e.shape,
      bytes: new Uint8Array(bytes.subarray(start + e.data_offsets[0], start + e.data_offsets[1])),
    }));
}

/** A folder with `config` (object or raw string) and, unless null, `weights` (a Buffer) as model.safetensors. */
export function modelFolder({ config, weights, files = {} }) {
  const dir = tempDir();
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  if (weights) writeFileSync(join(dir, 'model.safetensors'), weights);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

export function copyFixtureFolder(source, names) {
  const dir = tempDir();
  for (const name of names) copyFileSync(join(source, name), join(dir, name));
  return dir;
}
