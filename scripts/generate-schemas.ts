// Writes the JSON Schemas generated from the zod types into docs/schemas (`npm run docs:schemas`).
// A unit test fails when the committed files differ from what the code generates.
import { writeFile } from 'node:fs/promises';
import { GENERATED_SCHEMAS } from '../src/services/reports/generated-schemas.js';

for (const [file, schema] of Object.entries(GENERATED_SCHEMAS)) {
  await writeFile(new URL(`../docs/schemas/${file}`, import.meta.url), JSON.stringify(schema(), null, 2) + '\n');
  console.log(`docs/schemas/${file}`);
}
