// Recognizes an ONNX causal LM exported the usual way (optimum / onnxruntime-genai layout) from its
// input and output signature alone, so the API can refuse a bundle whose model does not fit before
// anything runs, and the harness knows how to feed it.
import { AppError } from '../../lib/errors.js';

interface ValueLike {
  name: string;
  elementType: string;
  shape: readonly (number | string | null)[];
}

export interface CausalLmLayout {
  /** Number of past_key_values.{i}.key|value pairs (at least 1: models without a KV cache are refused). */
  layers: number;
  /** Fixed dims of a KV tensor [batch, kvHeads, past, headDim]. */
  kvHeads: number;
  headDim: number;
  kvElementType: 'float32' | 'float16';
  hasPositionIds: boolean;
  /** attention_mask / input_ids element type (int64 in every common export; int32 in some). */
  idElementType: 'int64' | 'int32';
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/** The layout, or an AppError `model.not_causal_lm` that lists every mismatch. */
export function causalLmLayout(signature: { inputs: readonly ValueLike[]; outputs: readonly ValueLike[] }): CausalLmLayout {
  const problems: string[] = [];
  const input = (name: string) => signature.inputs.find((v) => v.name === name);
  const ids = input('input_ids');
  const mask = input('attention_mask');
  if (!ids) problems.push("no input 'input_ids'");
  else if (ids.elementType !== 'int64' && ids.elementType !== 'int32') problems.push(`'input_ids' is ${ids.elementType}, expected int64 or int32`);
  else if (ids.shape.length !== 2) problems.push(`'input_ids' has rank ${ids.shape.length}, expected [batch, sequence]`);
  if (!mask) problems.push("no input 'attention_mask'");
  else if (mask.elementType !== ids?.elementType) problems.push(`'attention_mask' is ${mask.elementType}, expected the type of input_ids`);
  const positions = input('position_ids');
  if (positions && positions.elementType !== ids?.elementType) problems.push(`'position_ids' is ${positions.elementType}, expected the type of input_ids`);

  const logits = signature.outputs.find((v) => v.name === 'logits');
  if (!logits) problems.push("no output 'logits'");
  else if (logits.shape.length !== 3 || logits.elementType !== 'float32' && logits.elementType !== 'float16') problems.push(`'logits' must be float32 or float16 [batch, sequence, vocab], it is ${logits.elementType} of rank ${logits.shape.length}`);

  const pastNames = signature.inputs.map((v) => v.name).filter((name) => PAST.test(name));
  const layers = pastNames.length / 2;
  // Prefix reuse, multi-token letters and decoding feed only new tokens, which needs the cache.
  if (pastNames.length === 0) problems.push("no 'past_key_values.{i}.key|value' inputs (export the model with its KV cache, e.g. optimum's text-generation-with-past)");
  let kvHeads = 0;
  let headDim = 0;
  let kvElementType: 'float32' | 'float16' = 'float32';
  for (let layer = 0; layer < Math.ceil(layers); layer++) {
    for (const kind of ['key', 'value'] as const) {
      const past = input(`past_key_values.${layer}.${kind}`);
      if (!past) {
        problems.push(`no input 'past_key_values.${layer}.${kind}' (KV inputs must come in key/value pairs numbered from 0)`);
        continue;
      }
      if (!signature.outputs.some((v) => v.name === `present.${layer}.${kind}`)) problems.push(`no output 'present.${layer}.${kind}' for 'past_key_values.${layer}.${kind}'`);
      const [, heads, , dim] = past.shape;
      if (past.shape.length !== 4 || typeof heads !== 'number' || typeof dim !== 'number') {
        problems.push(`'past_key_values.${layer}.${kind}' must be [batch, heads, past_sequence, head_dim] with fixed heads and head_dim`);
        continue;
      }
      if (past.elementType !== 'float32' && past.elementType !== 'float16') problems.push(`'past_key_values.${layer}.${kind}' is ${past.elementType}, expected float32 or float16`);
      kvHeads = heads;
      headDim = dim;
      kvElementType = past.elementType === 'float16' ? 'float16' : 'float32';
    }
  }
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', ...pastNames]);
  const extra = signature.inputs.filter((v) => !known.has(v.name)).map((v) => v.name);
  if (extra.length > 0) problems.push(`unexpected inputs ${extra.map((n) => `'${n}'`).join(', ')}`);
  if (problems.length > 0) {
    throw new AppError(
      'model.not_causal_lm',
      `The bundle's model is not a causal LM in the expected layout (inputs input_ids, attention_mask, optional position_ids, past_key_values.{i}.key|value; outputs logits, present.{i}.key|value): ${problems.join('; ')}.`,
      { problems },
    );
  }
  return { layers: Math.floor(layers), kvHeads, headDim, kvElementType, hasPositionIds: positions !== undefined, idElementType: ids!.elementType as 'int64' | 'int32' };
}
