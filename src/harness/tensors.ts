// Backend-neutral tensor types shared by input generation and the backends.

/** Element types the harness can feed; names follow the model-signature reader ('double', not 'float64'). */
export type ElementType =
  | 'float32'
  | 'float16'
  | 'double'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** float16 travels as raw IEEE half bits (Uint16Array); bool as one byte per element (Uint8Array). */
export type HostTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export interface HostTensor {
  readonly name: string;
  readonly elementType: ElementType;
  readonly dims: readonly number[];
  readonly data: HostTensorData;
}

/** What a backend reports about a model input or output. */
export interface TensorSignatureLike {
  readonly name: string;
  /** An ElementType, or any other name for types the harness cannot feed. */
  readonly elementType: string;
  /** number = fixed dim, string = symbolic dim, null = unknown dim. */
  readonly shape: readonly (number | string | null)[];
}
