// Writes every generated document (`npm run docs:generate`): the JSON Schemas generated from the zod
// types into docs/schemas, and the configuration reference generated from the env schema.
// Unit tests fail when the committed files differ from what the code generates.
import { writeFile } from 'node:fs/promises';
import { GENERATED_SCHEMAS } from '../src/services/reports/generated-schemas.js';
import { renderConfigurationReference } from '../src/config/configuration-reference.js';

for (const [file, schema] of Object.entries(GENERATED_SCHEMAS)) {
  await writeFile(new URL(`../docs/schemas/${file}`, import.meta.url), JSON.stringify(schema(), null, 2) + '\n');
  console.log(`docs/schemas/${file}`);
}

await writeFile(new URL('../docs/configuration.md', import.meta.url), renderConfigurationReference());
console.log('docs/configuration.md');
