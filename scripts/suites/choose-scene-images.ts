// Chooses the image set of npubench-edge@3's image-classification-224 workload, run once when the catalog
// was written; its output is SCENE_IMAGE_INDICES in src/harness/inputs/suite-datasets.ts.
//
//   npx tsx scripts/suites/choose-scene-images.ts MODEL.onnx [INT8.onnx]
//
// A seeded-weight classifier's top-1 is decided by small differences between 1,000 similar logits, so on
// most scenes a faithful INT8 build flips the class, and top-1 agreement would punish faithful devices.
// The suite keeps the 128 scenes of the 512-scene pool whose FP32 top-1 leads the runner-up by the largest
// relative margin ((top1 − top2) / top1, CPU EP), in pool order. Fixing the indices in the source (rather
// than choosing at build time) means a CPU whose rounding differs in the last bit cannot pick another set.
// With an INT8 build it also prints that build's top-1 agreement on the chosen set.
import ort from 'onnxruntime-node';
import { sceneImagePool, sceneInput } from '../../src/harness/inputs/suite-datasets.js';

const [modelPath, int8Path] = process.argv.slice(2);
if (!modelPath) throw new Error('usage: choose-scene-images.ts MODEL.onnx [INT8.onnx]');
const CHOSEN = 128;
const argmax = (a: Float32Array) => a.indexOf(Math.max(...a));
const logitsOf = async (path: string) => {
  const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const out: Float32Array[] = [];
  for (const image of sceneImagePool()) out.push(Object.values(await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', sceneInput(image), [1, 3, 224, 224]) }))[0]!.data as Float32Array);
  await session.release();
  return out;
};
const fp32 = await logitsOf(modelPath);
const margin = (a: Float32Array) => {
  const [first, second] = [...a].sort((p, q) => q - p) as [number, number];
  return (first - second) / first;
};
const chosen = fp32
  .map((a, index) => ({ index, margin: margin(a) }))
  .sort((p, q) => q.margin - p.margin || p.index - q.index)
  .slice(0, CHOSEN)
  .sort((p, q) => p.index - q.index);
console.log(`smallest relative margin kept: ${Math.min(...chosen.map((c) => c.margin)).toFixed(4)}`);
console.log(`classes: ${new Set(chosen.map((c) => argmax(fp32[c.index]!))).size}`);
console.log(`SCENE_IMAGE_INDICES = [${chosen.map((c) => c.index).join(', ')}]`);
if (int8Path) {
  const int8 = await logitsOf(int8Path);
  console.log(`INT8 top-1 agreement: ${chosen.filter((c) => argmax(int8[c.index]!) === argmax(fp32[c.index]!)).length} of ${CHOSEN}`);
}
