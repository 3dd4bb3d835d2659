#!/usr/bin/env node
// `npx npubench ...` runs the TypeScript source through tsx so it works straight after `npm ci`,
// with no build step; deployments run the compiled `node dist/cli/main.js` instead.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
