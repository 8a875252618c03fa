/**
 * What a user may pass where a model is loaded: a Hugging Face folder, a TensorFlow checkpoint folder, a
 * checkpoint prefix (`.../model.ckpt-best`) or its `.index` file, a `.tar.gz` release archive (unpacked
 * once into the cache folder), or a Hugging Face Hub model id (`albert-base-v2`, `org/name`; downloaded once
 * into the cache folder). Resolves it to the path the native loader opens and the folder that holds the
 * tokenizer files. Local paths always win over Hub ids.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { isArchivePath, unpackArchive } from './archive';
import { downloadSnapshot, isHubRepoId, type DownloadProgress } from './hub';

/** @internal How resolveModelPath finds and fetches models. */
export interface ModelPathOptions {
  /** Where archives are unpacked and Hub downloads are kept. */
  cacheDir?: string;
  /** Hub: branch, tag or commit (default `main`). */
  revision?: string;
  /** Hub: never download (also env HF_HUB_OFFLINE=1). */
  localFilesOnly?: boolean;
  /** Hub: access token (default env HF_TOKEN). */
  token?: string;
  /** Hub: download progress. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Hub: `tokenizer` fetches only config.json and the tokenizer files (default `model`: the weights too). */
  files?: 'model' | 'tokenizer';
}

/** @internal */
export interface ResolvedModelPath {
  /** What the native loader opens: a folder, or a TensorFlow checkpoint prefix. */
  modelPath: string;
  /** The folder holding the config and tokenizer files. */
  folder: string;
  /** The `.tar.gz` it was unpacked from, if any. */
  archive?: string;
  /** The Hub repository it was downloaded from (or found in the download cache), if any. */
  hub?: { repo: string; revision: string; commit: string };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** @internal */
export async function resolveModelPath(input: string, options: ModelPathOptions = {}): Promise<ResolvedModelPath> {
  const { cacheDir } = options;
  const resolved = path.resolve(input);
  if (isArchivePath(resolved)) {
    const folder = await unpackArchive(resolved, cacheDir === undefined ? {} : { cacheDir });
    return { modelPath: folder, folder, archive: resolved };
  }
  if (isFile(`${resolved}.index`)) return { modelPath: resolved, folder: path.dirname(resolved) };
  if (resolved.endsWith('.index') && isFile(resolved)) return { modelPath: resolved, folder: path.dirname(resolved) };
  if (!existsSync(resolved) && isHubRepoId(input)) {
    const { revision, localFilesOnly, token, onProgress, files } = options;
    const snapshot = await downloadSnapshot(input, { cacheDir, revision, localFilesOnly, token, onProgress, files });
    const { folder, repo, commit } = snapshot;
    return { modelPath: folder, folder, hub: { repo, revision: snapshot.revision, commit } };
  }
  // A folder, or anything else (a stray file, a missing path) for the native loader to name.
  return { modelPath: resolved, folder: resolved };
}
