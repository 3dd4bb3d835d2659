// Writes every generated document (`npm run docs:generate`): the JSON Schemas generated from the zod
// types into docs/schemas, the configuration reference generated from the env schema, and the
// OpenAPI document (docs/openapi.json, a snapshot so API changes are deliberate).
// Unit tests fail when the committed files differ from what the code generates.
import { writeFile } from 'node:fs/promises';
import { GENERATED_SCHEMAS } from '../src/services/reports/generated-schemas.js';
import { renderConfigurationReference } from '../src/config/configuration-reference.js';
import { buildOpenApiDocument } from '../src/api/openapi-document.js';

for (const [file, schema] of Object.entries(GENERATED_SCHEMAS)) {
  await writeFile(new URL(`../docs/schemas/${file}`, import.meta.url), JSON.stringify(schema(), null, 2) + '\n');
  console.log(`docs/schemas/${file}`);
}

await writeFile(new URL('../docs/configuration.md', import.meta.url), renderConfigurationReference());
console.log('docs/configuration.md');

await writeFile(new URL('../docs/openapi.json', import.meta.url), JSON.stringify(await buildOpenApiDocument(), null, 2) + '\n');
console.log('docs/openapi.json');
