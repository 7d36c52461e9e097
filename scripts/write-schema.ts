/**
 * Regenerates schema/gate.schema.json from the table in spec.ts (and schema/report.schema.json
 * from report/schema.ts):
 *   npm run schema
 * A test fails when the committed file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportSchemaText } from '../src/report/schema.js';
import { gateJsonSchema } from '../src/config/spec.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../schema/gate.schema.json', import.meta.url));

export const REPORT_SCHEMA_FILE = fileURLToPath(new URL('../schema/report.schema.json', import.meta.url));

export function schemaText(): string {
  return `${JSON.stringify(gateJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, schemaText());
  writeFileSync(REPORT_SCHEMA_FILE, reportSchemaText());
}
