// Fails when dist/ is not what `npm run build` makes from the current sources (a stale bundle
// would run old code in every workflow that uses the action).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const saved = mkdtempSync(join(tmpdir(), 'ppg-dist-'));
cpSync('dist', saved, { recursive: true });
try {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const stale = ['index.js', 'cli.js', 'prepare-worker.js', 'accuracy-worker.js', 'harness/bench.py'].filter(
    (f) => readFileSync(join('dist', f), 'utf8') !== readFileSync(join(saved, f), 'utf8'),
  );
  if (stale.length > 0) {
    console.error(`dist/ is stale (${stale.join(', ')} differ from a fresh build): run \`npm run build\` and commit dist/`);
    process.exit(1);
  }
  console.log('dist/ is current');
} finally {
  cpSync(saved, 'dist', { recursive: true });
  rmSync(saved, { recursive: true, force: true });
}
