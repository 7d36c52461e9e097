// Fails when dist/ is not what `npm run build` makes from the current sources (a stale bundle
// would run old code in every workflow that uses the action).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, cpSync, statSync } from 'node:fs';
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
  // `bin` points at dist/cli.js: it must run as `./dist/cli.js` from a clone, so both the checkout's
  // file and the mode git records need the execute bit (and the shebang).
  const cli = join(saved, 'cli.js');
  const gitMode = execFileSync('git', ['ls-files', '--stage', '--', 'dist/cli.js'], { encoding: 'utf8' }).split(' ')[0];
  const problems = [
    ...(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n') ? [] : ['does not start with `#!/usr/bin/env node`']),
    ...((statSync(cli).mode & 0o111) !== 0 ? [] : ['is not executable']),
    ...(gitMode === '' || gitMode === '100755' ? [] : [`is committed with mode ${gitMode}`]),
  ];
  if (problems.length > 0) {
    console.error(`dist/cli.js ${problems.join(', ')}: run \`npm run build\` and \`git update-index --chmod=+x dist/cli.js\`, then commit`);
    process.exit(1);
  }
  console.log('dist/ is current');
} finally {
  cpSync(saved, 'dist', { recursive: true });
  rmSync(saved, { recursive: true, force: true });
}
