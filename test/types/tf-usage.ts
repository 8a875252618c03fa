// Typings of TensorFlow checkpoint loading, model.source and savePretrained: valid use compiles, misuse is rejected.
import { AlbertForPreTraining, AlbertModel, Tokenizer, type ModelSource } from '../../dist/index.js';

async function main(archive: string): Promise<void> {
  const model = await AlbertForPreTraining.fromPretrained(archive, { cacheDir: '/tmp/albert-cache', dtype: 'float16' });
  const source: ModelSource = model.source;
  const layout: 'huggingface' | 'google' | 'brightmart' = source.layout;
  const fromArchive: string | undefined = source.archive;
  const skipped: number = source.skippedTensors;
  await model.savePretrained('./converted');
  // @ts-expect-error: the folder is a string
  await model.savePretrained(42);
  // @ts-expect-error: source is read-only information
  model.source = source;
  // @ts-expect-error: cacheDir is a path string
  await AlbertModel.fromPretrained(archive, { cacheDir: true });
  const tokenizer = await Tokenizer.fromPretrained(archive, { cacheDir: '/tmp/albert-cache' });
  void [layout, fromArchive, skipped, tokenizer];
}

void main;

async function hub(): Promise<void> {
  const progress: Array<{ file: string; loaded: number; total?: number }> = [];
  const model = await AlbertModel.fromPretrained('albert-base-v2', { revision: 'main', localFilesOnly: false, token: 'x', onProgress: (p) => progress.push(p) });
  const commit: string | undefined = model.source.hub?.commit;
  // @ts-expect-error: revision is a string
  await AlbertModel.fromPretrained('albert-base-v2', { revision: 3 });
  void commit;
}

void hub;

async function pool(): Promise<void> {
  const { WorkerPool } = await import('../../dist/index.js');
  const p = await WorkerPool.create({ task: 'text-classification', model: 'x', size: 2, options: { dtype: 'float16' } });
  const labels: Array<Array<{ label: string; score: number }>> = await p.run(['a', 'b'], { topK: 1 });
  // @ts-expect-error: inputs of another pipeline
  await p.run([{ question: 'q', context: 'c' }]);
  await p.close();
  void labels;
}

void pool;
