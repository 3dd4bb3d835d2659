// Tokenizer from a bundle's local tokenizer.json + tokenizer_config.json (@huggingface/tokenizers, pure
// JS); nothing is ever fetched from a hub.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { AppError, errorMessage } from '../../lib/errors.js';

/** The part of @huggingface/tokenizers' Tokenizer we use. Its published .d.ts re-exports without file
 *  extensions, which NodeNext resolution cannot follow, so the class is typed here. */
export interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[]): string;
  token_to_id(token: string): number | undefined;
}

export function newHfTokenizer(tokenizerJson: object, tokenizerConfig: object): HfTokenizer {
  const TokenizerClass = Tokenizer as unknown as new (json: object, config: object) => HfTokenizer;
  return new TokenizerClass(tokenizerJson, tokenizerConfig);
}

export interface TextTokenizer {
  /** Token ids of `text` without special tokens. */
  encode(text: string): number[];
  /** Prepended to every prompt when tokenizer_config.json says add_bos_token (Llama-style tokenizers). */
  readonly bosTokenId: number | null;
  decode(ids: readonly number[]): string;
}

async function readJson(dir: string, name: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new AppError('bundle.invalid_file', `${name} in the bundle cannot be read as JSON: ${errorMessage(err)}`);
  }
}

function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return null;
}

export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const tokenizerJson = await readJson(dir, 'tokenizer.json');
  const config = await readJson(dir, 'tokenizer_config.json');
  let tokenizer: HfTokenizer;
  try {
    tokenizer = newHfTokenizer(tokenizerJson, config);
  } catch (err) {
    throw new AppError('bundle.invalid_file', `tokenizer.json is not a tokenizer @huggingface/tokenizers can load: ${errorMessage(err)}`);
  }
  const bos = tokenContent(config.bos_token);
  const bosTokenId = config.add_bos_token === true && bos !== null ? (tokenizer.token_to_id(bos) ?? null) : null;
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    bosTokenId,
    decode: (ids) => tokenizer.decode([...ids]),
  };
}
