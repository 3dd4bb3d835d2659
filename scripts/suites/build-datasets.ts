// Writes the generated datasets of the suite catalogs (`npm run suites:datasets [out-dir]`), by default
// into data/suites/<suite>/<dataset>.json, and checks each file against the sha256 its catalog pins: a
// generator that drifted from the catalog fails here rather than producing a silently different suite.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSuiteDatasetFiles } from '../../src/harness/index.js';
import { listSuites, getSuite } from '../../src/services/suites/suite-catalog.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'data', 'suites'));
const files = await buildSuiteDatasetFiles({ imageClassifierPath: path.join(root, 'test/fixtures/models/tiny-cnn.onnx'), vadFramesPath: path.join(root, 'test/fixtures/suites/vad-speech-silence-1.json'), sceneClassifierPath: path.join(root, 'test/fixtures/models/squeezenet1.1-centred.onnx') });
let failed = false;
for (const { id } of listSuites().items) {
  for (const workload of getSuite(id).workloads) {
    const text = files.get(workload.dataset.id);
    if (text === undefined) {
      console.log(`${id} ${workload.dataset.id}: ${workload.dataset.format}, built into npubench (nothing to write)`);
      continue;
    }
    const digest = createHash('sha256').update(text).digest('hex');
    const file = path.join(outDir, id, `${workload.dataset.id}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    const ok = digest === workload.dataset.sha256;
    failed ||= !ok;
    console.log(`${path.relative(root, file)} sha256:${digest} ${ok ? 'matches the catalog' : `DIFFERS from the catalog's sha256:${workload.dataset.sha256}`}`);
  }
}
process.exitCode = failed ? 1 : 0;
