import { albertError, ErrorCodes } from './errors';

/** Element types a Tensor can hold. `float16` data is stored as raw bits in a Uint16Array. */
export type DataType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'bool';

/** The TypedArray that backs each DataType. */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type TypedArray = TypedArrayFor[DataType];

const CONSTRUCTORS: { [K in DataType]: { new (length: number): TypedArrayFor[K]; from(data: ArrayLike<any>): TypedArrayFor[K] } } = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

function matchesType(dtype: DataType, data: unknown): boolean {
  const Ctor = CONSTRUCTORS[dtype] as unknown as new (...args: never[]) => unknown;
  return data instanceof Ctor;
}

/** The number of elements a shape holds; throws on a non-integer or negative dimension. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (!Number.isSafeInteger(d) || d < 0) {
      throw albertError(ErrorCodes.INVALID_INPUT, `dims[${i}] = ${String(d)} is not a non-negative integer`, true);
    }
    n *= d;
  }
  return n;
}

/**
 * An n-dimensional array: a dtype, a shape (`dims`, row-major) and a flat TypedArray.
 * Constructing from a TypedArray of the matching type keeps a reference to it (no copy); other array-likes
 * are converted.
 */
export class Tensor<T extends DataType = DataType> {
  readonly dtype: T;
  readonly dims: readonly number[];
  readonly data: TypedArrayFor[T];

  constructor(dtype: T, data: TypedArrayFor[T] | ArrayLike<number> | ArrayLike<bigint>, dims?: readonly number[]) {
    if (!(dtype in CONSTRUCTORS)) {
      throw albertError(ErrorCodes.INVALID_INPUT, `unknown tensor dtype '${String(dtype)}'`, true);
    }
    let typed: TypedArrayFor[T];
    if (matchesType(dtype, data)) {
      typed = data as TypedArrayFor[T];
    } else if (data && typeof (data as ArrayLike<unknown>).length === 'number') {
      typed = convert(dtype, data as ArrayLike<number | bigint>);
    } else {
      throw albertError(ErrorCodes.INVALID_INPUT, `tensor data must be a TypedArray or an array`, true);
    }
    const shape = dims ? Object.freeze([...dims]) : Object.freeze([typed.length]);
    const count = elementCount(shape);
    if (count !== typed.length) {
      throw albertError(
        ErrorCodes.INVALID_INPUT,
        `tensor dims [${shape.join(', ')}] hold ${count} elements but the data has ${typed.length}`,
      );
    }
    this.dtype = dtype;
    this.data = typed;
    this.dims = shape;
  }

  /** Total number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** A zero-filled tensor. */
  static zeros<T extends DataType>(dtype: T, dims: readonly number[]): Tensor<T> {
    const Ctor = CONSTRUCTORS[dtype] as unknown as new (length: number) => TypedArrayFor[T];
    return new Tensor(dtype, new Ctor(elementCount(dims)), dims);
  }

  /** A view of the same data with another shape (same element count). */
  reshape(dims: readonly number[]): Tensor<T> {
    return new Tensor(this.dtype, this.data, dims);
  }

  /** Nested JS arrays (numbers, or bigints for int64). */
  toNested(): unknown[] {
    const build = (offset: number, axis: number): unknown[] => {
      const length = this.dims[axis];
      const out: unknown[] = new Array(length);
      if (axis === this.dims.length - 1) {
        for (let i = 0; i < length; i++) out[i] = this.data[offset + i];
        return out;
      }
      let stride = 1;
      for (let a = axis + 1; a < this.dims.length; a++) stride *= this.dims[a];
      for (let i = 0; i < length; i++) out[i] = build(offset + i * stride, axis + 1);
      return out;
    };
    if (this.dims.length === 0) return [this.data[0]];
    return build(0, 0);
  }
}

function convert<T extends DataType>(dtype: T, data: ArrayLike<number | bigint>): TypedArrayFor[T] {
  const Ctor = CONSTRUCTORS[dtype] as unknown as new (length: number) => TypedArrayFor[T];
  const out = new Ctor(data.length);
  const wantsBigInt = dtype === 'int64';
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (wantsBigInt) {
      if (typeof v === 'bigint') (out as BigInt64Array)[i] = v;
      else if (typeof v === 'number' && Number.isSafeInteger(v)) (out as BigInt64Array)[i] = BigInt(v);
      else throw albertError(ErrorCodes.INVALID_INPUT, `element [${i}] = ${String(v)} is not an integer`, true);
    } else {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number') {
        throw albertError(ErrorCodes.INVALID_INPUT, `element [${i}] = ${String(v)} is not a number`, true);
      }
      (out as Float32Array)[i] = n;
    }
  }
  return out;
}
