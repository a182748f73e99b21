/**
 * Writes runbooks/runbook.schema.json from the zod schema (`npm run schema`). Editors use it for
 * completion and inline errors; a unit test fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderRunbookJsonSchema, RUNBOOK_JSON_SCHEMA_PATH } from '../src/runbook/json-schema.js';

const target = path.resolve(import.meta.dirname, '..', RUNBOOK_JSON_SCHEMA_PATH);
writeFileSync(target, renderRunbookJsonSchema());
console.log(`wrote ${RUNBOOK_JSON_SCHEMA_PATH}`);
