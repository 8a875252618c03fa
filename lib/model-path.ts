/**
 * What a user may pass where a model is loaded: a Hugging Face folder, a TensorFlow checkpoint folder, a
 * checkpoint prefix (`.../model.ckpt-best`) or its `.index` file, or a `.tar.gz` release archive (unpacked
 * once into the cache folder). Resolves it to the path the native loader opens and the folder that holds
 * the tokenizer files.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { isArchivePath, unpackArchive } from './archive';

/** @internal */
export interface ResolvedModelPath {
  /** What the native loader opens: a folder, or a TensorFlow checkpoint prefix. */
  modelPath: string;
  /** The folder holding the config and tokenizer files. */
  folder: string;
  /** The `.tar.gz` it was unpacked from, if any. */
  archive?: string;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** @internal */
export async function resolveModelPath(input: string, cacheDir?: string): Promise<ResolvedModelPath> {
  const resolved = path.resolve(input);
  if (isArchivePath(resolved)) {
    const folder = await unpackArchive(resolved, cacheDir === undefined ? {} : { cacheDir });
    return { modelPath: folder, folder, archive: resolved };
  }
  if (isFile(`${resolved}.index`)) return { modelPath: resolved, folder: path.dirname(resolved) };
  if (resolved.endsWith('.index') && isFile(resolved)) return { modelPath: resolved, folder: path.dirname(resolved) };
  // A folder, or anything else (a stray file, a missing path) for the native loader to name.
  return { modelPath: resolved, folder: resolved };
}
