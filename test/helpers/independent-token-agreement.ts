// Greedy-token agreement computed the plain way, for tests: the prompt text written here from the MMLU
// template, a fresh tokenizer, every step a full forward pass without a KV cache, and the candidate fed
// the reference's tokens. Nothing of the harness's LM code (causal-lm.ts, token-agreement.ts) runs here.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { newHfTokenizer } from '../../src/harness/accuracy/tokenizer.js';
import { BUILTIN_MMLU_SUBJECTS } from '../../src/harness/accuracy/builtin-mmlu-data.js';
import { fixtureLlm } from './archives.js';
import { REPO_ROOT } from './processes.js';

/** The tiny LM bundle with one weight block multiplied by `factor` (scripts/accuracy/lm_weight_variant.py), in a fresh folder. */
export function scaledTinyLm(initializer: string, factor: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'npubench-lm-variant-'));
  const source = fixtureLlm('tiny-lm');
  for (const name of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) copyFileSync(join(source, name), join(dir, name));
  execFileSync('/usr/bin/python3', [join(REPO_ROOT, 'scripts/accuracy/lm_weight_variant.py'), join(source, 'model.onnx'), join(dir, 'model.onnx'), `${initializer}=${factor}`], { stdio: 'pipe' });
  return dir;
}

/** Rows of a built-in CSV split (quoted fields hold only commas). */
function rows(csv: string): string[][] {
  return csv.trim().split('\n').map((line) => [...line.matchAll(/"([^"]*)"|([^,]+)/g)].map((m) => m[1] ?? m[2]!));
}

/** The zero-shot prompts: question 0 of each subject (sorted by name), then question 1, … */
function promptTexts(count: number): string[] {
  const subjects = Object.entries(BUILTIN_MMLU_SUBJECTS).sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => ({ name, rows: rows(s.test) }));
  const texts: string[] = [];
  for (let index = 0; texts.length < count; index++) {
    for (const s of subjects) {
      const r = s.rows[index];
      if (r && texts.length < count) texts.push(`The following are multiple choice questions (with answers) about ${s.name.replaceAll('_', ' ')}.\n\n${r[0]}\nA. ${r[1]}\nB. ${r[2]}\nC. ${r[3]}\nD. ${r[4]}\nAnswer:`);
    }
  }
  return texts;
}

/** argmax of every position's logits for `ids`, one cache-free pass. */
async function argmaxes(session: InferenceSession, ids: number[]): Promise<number[]> {
  const n = ids.length;
  const feeds: Record<string, Tensor> = {
    input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), [1, n]),
  };
  for (let layer = 0; layer < 2; layer++) for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
  const logits = (await session.run(feeds)).logits!;
  const vocab = logits.dims[2]!;
  const data = logits.data as Float32Array;
  return Array.from({ length: n }, (_, p) => {
    let best = 0;
    for (let v = 1; v < vocab; v++) if (data[p * vocab + v]! > data[p * vocab + best]!) best = v;
    return best;
  });
}

export async function independentTokenAgreement(candidateDir: string, referenceDir: string, prompts = 8, tokens = 32) {
  const tokenizer = newHfTokenizer(JSON.parse(await readFile(join(referenceDir, 'tokenizer.json'), 'utf8')) as object, JSON.parse(await readFile(join(referenceDir, 'tokenizer_config.json'), 'utf8')) as object);
  const reference = await InferenceSession.create(join(referenceDir, 'model.onnx'));
  const candidate = await InferenceSession.create(join(candidateDir, 'model.onnx'));
  const sequences: { reference: number[]; candidate: number[] }[] = [];
  for (const text of promptTexts(prompts)) {
    const prompt = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const generated: number[] = [];
    while (generated.length < tokens) generated.push((await argmaxes(reference, [...prompt, ...generated])).at(-1)!);
    const forced = (await argmaxes(candidate, [...prompt, ...generated.slice(0, -1)])).slice(prompt.length - 1);
    sequences.push({ reference: generated, candidate: forced });
  }
  await reference.release();
  await candidate.release();
  const matched = sequences.reduce((sum, s) => sum + s.reference.filter((t, k) => s.candidate[k] === t).length, 0);
  return { sequences, share: matched / (prompts * tokens) };
}
