/**
 * Writes a loaded model as a Hugging Face folder: weights (re-read from the source checkpoint by native code
 * and written under transformers' names), config.json, and tokenizer files in the names transformers expects.
 */
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { NativeModel } from './binding';
import type { AlbertConfig } from './config';
import { albertError, ErrorCodes, isAlbertNodeError } from './errors';
import type { ModelSource } from './model';

/** Files of a Hugging Face folder that describe the tokenizer, copied as they are. */
const HF_TOKENIZER_FILES = ['spiece.model', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json'];

/** tokenizer_config.json for the vocabularies of TensorFlow releases (their FullTokenizer lower-cases). */
const ALBERT_TOKENIZER_CONFIG = { tokenizer_class: 'AlbertTokenizer', do_lower_case: true, remove_space: true, keep_accents: false };
const BERT_TOKENIZER_CONFIG = { tokenizer_class: 'BertTokenizer', do_lower_case: true, tokenize_chinese_chars: true };

async function listFiles(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch {
    return [];
  }
}

/** The tokenizer files of the source folder, as [source file, name in the new folder] pairs plus a config to write. */
async function tokenizerFiles(source: ModelSource, folder: string): Promise<{ copies: Array<[string, string]>; config?: object }> {
  const names = await listFiles(folder);
  // Hugging Face folders (model.safetensors or pytorch_model.bin) already hold the tokenizer files under their names.
  if (source.format !== 'tensorflow') {
    return { copies: HF_TOKENIZER_FILES.filter((n) => names.includes(n)).map((n) => [path.join(folder, n), n]) };
  }
  // TensorFlow releases: Google's 30k-clean.model (SentencePiece), the Chinese models' WordPiece vocab_chinese.txt / vocab.txt.
  const spm = names.includes('30k-clean.model') ? '30k-clean.model' : names.find((n) => n.endsWith('.model'));
  if (spm) return { copies: [[path.join(folder, spm), 'spiece.model']], config: ALBERT_TOKENIZER_CONFIG };
  const vocab = ['vocab_chinese.txt', 'vocab.txt'].find((n) => names.includes(n));
  if (vocab) return { copies: [[path.join(folder, vocab), 'vocab.txt']], config: BERT_TOKENIZER_CONFIG };
  return { copies: [] };
}

/** @internal */
export async function saveHuggingFaceFolder(
  native: NativeModel,
  config: AlbertConfig,
  source: ModelSource,
  sourceFolder: string,
  target: string,
): Promise<void> {
  if (path.resolve(sourceFolder) === target) {
    throw albertError(ErrorCodes.INVALID_INPUT, `savePretrained() cannot write into the folder the model was loaded from (${target})`);
  }
  try {
    await mkdir(target, { recursive: true });
  } catch (error) {
    throw albertError(ErrorCodes.FILE_READ, `cannot create ${target}: ${(error as Error).message}`);
  }
  const tokenizer = await tokenizerFiles(source, sourceFolder);
  try {
    await native.saveWeights(path.join(target, 'model.safetensors'));
    await writeFile(path.join(target, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    for (const [from, name] of tokenizer.copies) await copyFile(from, path.join(target, name));
    if (tokenizer.config) await writeFile(path.join(target, 'tokenizer_config.json'), `${JSON.stringify(tokenizer.config, null, 2)}\n`);
  } catch (error) {
    await rm(path.join(target, 'model.safetensors.partial'), { force: true });
    if (isAlbertNodeError(error)) throw error;
    throw albertError(ErrorCodes.FILE_READ, `cannot write the model to ${target}: ${(error as Error).message}`);
  }
}
