// Writes every generated document (`npm run docs:generate`): the JSON Schemas generated from the zod
// types into docs/schemas, the configuration reference generated from the env schema, the error-code
// tables of docs/architecture.md generated from the error catalog, and the OpenAPI document
// (docs/openapi.json, a snapshot so API changes are deliberate).
// Unit tests fail when the committed files differ from what the code generates.
import { readFile, writeFile } from 'node:fs/promises';
import { GENERATED_SCHEMAS } from '../src/services/reports/generated-schemas.js';
import { renderConfigurationReference } from '../src/config/configuration-reference.js';
import { withErrorCodeTables } from '../src/lib/error-code-reference.js';
import { buildOpenApiDocument } from '../src/api/openapi-document.js';

for (const [file, schema] of Object.entries(GENERATED_SCHEMAS)) {
  await writeFile(new URL(`../docs/schemas/${file}`, import.meta.url), JSON.stringify(schema(), null, 2) + '\n');
  console.log(`docs/schemas/${file}`);
}

await writeFile(new URL('../docs/configuration.md', import.meta.url), renderConfigurationReference());
console.log('docs/configuration.md');

const architecture = new URL('../docs/architecture.md', import.meta.url);
await writeFile(architecture, withErrorCodeTables(await readFile(architecture, 'utf8')));
console.log('docs/architecture.md (error codes)');

await writeFile(new URL('../docs/openapi.json', import.meta.url), JSON.stringify(await buildOpenApiDocument(), null, 2) + '\n');
console.log('docs/openapi.json');
