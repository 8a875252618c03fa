// Type-level test: compiled with `tsc --noEmit` against dist/index.d.ts by test/11.types.test.mjs.
// Each line either type-checks (valid use) or carries @ts-expect-error (misuse the types must reject).
import { AlbertModel, ErrorCodes, isAlbertNodeError, Tensor, type AlbertOutput, type ErrorCode, type PackedOutput } from '../../dist/index.js';

async function main(): Promise<void> {
  const model = await AlbertModel.fromPretrained('folder', { threads: 2, kernel: 'auto', dtype: 'float16' });
  // @ts-expect-error: kernel names are a closed set
  await AlbertModel.fromPretrained('folder', { kernel: 'sse' });
  // @ts-expect-error: dtype names are a closed set
  await AlbertModel.fromPretrained('folder', { dtype: 'int8' });

  const hidden: number = model.config.hidden_size;
  const act: string = model.config.hidden_act;
  const labels: Record<string, string> | undefined = model.config.id2label;

  const out: AlbertOutput = await model.forward({ inputIds: [[2, 3]], attentionMask: [[1, 1]] }, { outputHiddenStates: true });
  const data: Float32Array = out.lastHiddenState.data;
  const dims: readonly number[] = out.lastHiddenState.dims;
  const pooled: Float32Array | undefined = out.poolerOutput?.data;
  const layers: number | undefined = out.hiddenStates?.length;

  await model.forward({ inputIds: new Tensor('int32', new Int32Array(4), [2, 2]) });
  await model.forward({ inputIds: new Tensor('int64', new BigInt64Array(4), [2, 2]) });
  await model.forward({ inputIds: Object.assign(new Int32Array(4), { dims: [2, 2] }) });
  await model.forward({ inputIds: { data: new Int32Array(4), dims: [2, 2] } });
  // @ts-expect-error: float tensors are not token ids
  await model.forward({ inputIds: new Tensor('float32', new Float32Array(4), [2, 2]) });
  // @ts-expect-error: inputIds is required
  await model.forward({ attentionMask: [[1]] });

  const packed: PackedOutput = await model.forwardPacked({ inputIds: [2, 3, 2, 3], lengths: [2, 2] });
  const offsets: Int32Array = packed.offsets;
  const many = await model.forwardMany([[2, 3], { inputIds: [2, 3], tokenTypeIds: [0, 0] }], { tokenBudget: 1024 });
  const first: Float32Array | undefined = many[0].poolerOutput?.data;

  const t = new Tensor('float32', new Float32Array(6), [2, 3]);
  const reshaped: Tensor<'float32'> = t.reshape([3, 2]);
  // Other numeric arrays are converted; strings are not numbers.
  new Tensor('int32', new Float32Array(2), [2]);
  // @ts-expect-error: tensor data must be numeric
  new Tensor('int32', ['a', 'b'], [2]);

  try {
    model.dispose();
  } catch (error) {
    if (isAlbertNodeError(error)) {
      const code: ErrorCode = error.code;
      const same: boolean = code === ErrorCodes.DISPOSED;
      void same;
    }
  }
  void [hidden, act, labels, data, dims, pooled, layers, offsets, first, reshaped];
}

void main;
