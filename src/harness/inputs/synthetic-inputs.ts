// Deterministic synthetic inputs for latency runs: the same seed and signature give byte-identical
// tensors on every machine, so two devices are timed on the same data. Values are in ranges every
// ordinary model accepts: floats uniform in [0, 1), integers in [0, 16) (valid indices into any
// embedding table of 16+ rows), booleans fair coin flips.
import { HarnessError } from '../../lib/errors.js';
import { mulberry32 } from '../seeded-random.js';
import type { ElementType, HostTensor, HostTensorData, TensorSignatureLike } from '../tensors.js';

export interface SyntheticInputOptions {
  seed: number;
  /** Sizes for symbolic dims by name; unknown and unlisted symbolic dims get 1. */
  dynamicDims: Readonly<Record<string, number>>;
}

const INT_VALUES = 16;
/** 2^28 elements is 1 GiB of float32: far beyond any single-query input, well below an out-of-memory crash. */
const MAX_ELEMENTS_PER_INPUT = 2 ** 28;

/** IEEE half bits of k / 2048 for k in [0, 2048): such values are exact in float16, so no rounding
 *  mode question arises and every platform produces the same bits. */
function halfBitsOfElevenBitFraction(k: number): number {
  if (k === 0) return 0;
  const exponent = 31 - Math.clz32(k); // k = 2^exponent * 1.mantissa
  return ((exponent + 4) << 10) | ((k - 2 ** exponent) << (10 - exponent));
}

const SUPPORTED_TYPES: readonly string[] = ['float32', 'float16', 'double', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string'] satisfies ElementType[];

function isElementType(name: string): name is ElementType {
  return SUPPORTED_TYPES.includes(name);
}

function resolveDims(signature: TensorSignatureLike, dynamicDims: SyntheticInputOptions['dynamicDims']): number[] {
  const dims = signature.shape.map((dim) => {
    // Some backends report an unknown dim as -1.
    if (typeof dim === 'number') return dim >= 0 ? dim : 1;
    if (dim === null) return 1;
    return dynamicDims[dim] ?? 1;
  });
  const elements = dims.reduce((product, dim) => product * dim, 1);
  if (elements > MAX_ELEMENTS_PER_INPUT) {
    throw new HarnessError(
      'harness.input_too_large',
      `Input '${signature.name}' with shape [${dims.join(', ')}] has ${elements} elements; at most ${MAX_ELEMENTS_PER_INPUT} are generated`,
    );
  }
  return dims;
}

function fill(elementType: ElementType, length: number, random: () => number): HostTensorData {
  const int = () => Math.floor(random() * INT_VALUES);
  switch (elementType) {
    case 'float32':
      return Float32Array.from({ length }, random);
    case 'double':
      return Float64Array.from({ length }, random);
    case 'float16':
      return Uint16Array.from({ length }, () => halfBitsOfElevenBitFraction(Math.floor(random() * 2048)));
    case 'int8':
      return Int8Array.from({ length }, int);
    case 'uint8':
      return Uint8Array.from({ length }, int);
    case 'int16':
      return Int16Array.from({ length }, int);
    case 'uint16':
      return Uint16Array.from({ length }, int);
    case 'int32':
      return Int32Array.from({ length }, int);
    case 'uint32':
      return Uint32Array.from({ length }, int);
    case 'int64':
      return BigInt64Array.from({ length }, () => BigInt(int()));
    case 'uint64':
      return BigUint64Array.from({ length }, () => BigInt(int()));
    case 'bool':
      return Uint8Array.from({ length }, () => (random() < 0.5 ? 1 : 0));
    case 'string':
      return Array.from({ length }, () => `token${int()}`);
  }
}

/** One tensor per signature, in order, all drawn from one seeded stream. */
export function createSyntheticInputs(signatures: readonly TensorSignatureLike[], options: SyntheticInputOptions): HostTensor[] {
  const random = mulberry32(options.seed);
  return signatures.map((signature) => {
    const { elementType } = signature;
    if (!isElementType(elementType)) {
      throw new HarnessError('harness.unsupported_input', `Input '${signature.name}' has type ${elementType}, for which no synthetic data can be generated`);
    }
    const dims = resolveDims(signature, options.dynamicDims);
    const length = dims.reduce((product, dim) => product * dim, 1);
    return { name: signature.name, elementType, dims, data: fill(elementType, length, random) };
  });
}
