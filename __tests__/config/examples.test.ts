import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

// Every gate.yml the project ships must load: the demo is the first thing a new user runs.
const dir = 'examples/demo';
const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));

describe('shipped gate.yml files', () => {
  it('there are some', () => expect(files.length).toBeGreaterThanOrEqual(2));
  it.each(files)('%s loads', async (file) => {
    const plan = await loadConfig(join(process.cwd(), dir, file));
    expect(plan.gate).toBe('ppocr-demo');
    expect(plan.models.map((m) => m.name)).toEqual(['PP-OCRv4-rec', 'PP-OCR-direction-cls']);
    expect(plan.runner.kind).toBe('embedded');
  });
});
