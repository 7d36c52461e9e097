// Bundles the action (dist/index.js) and the CLI (dist/cli.js) with esbuild.
// Native modules cannot be inlined: onnxruntime-node (loaded lazily by the embedded runner) and
// ssh2's optional native crypto / cpu-features (pulled in by dockerode) stay external.
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  legalComments: 'none',
  minify: true,
  // Error classes set `name` from their class name: keep names through minification.
  keepNames: true,
  logLevel: 'warning',
  external: ['onnxruntime-node', 'cpu-features', '*.node'],
  // Some bundled CommonJS dependencies call require(); give ESM output one.
  // ...and __dirname/__filename (ssh2, pulled in by dockerode, reads __dirname at load time).
  banner: {
    js: "import { createRequire as __ppgCreateRequire } from 'node:module'; import { fileURLToPath as __ppgFileURLToPath } from 'node:url'; import { dirname as __ppgDirname } from 'node:path'; const require = __ppgCreateRequire(import.meta.url); const __filename = __ppgFileURLToPath(import.meta.url); const __dirname = __ppgDirname(__filename);",
  },
};

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' });
await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node\n' + common.banner.js } });
// `bin` points here: executable, so `./dist/cli.js` runs and npx does not chmod (and dirty) a clone.
chmodSync('dist/cli.js', 0o755);

// Large datasets are prepared on worker threads (src/dataset/workers.ts), which load this file
// from beside the bundle that starts them.
await build({ ...common, entryPoints: ['src/dataset/prepare-worker.ts'], outfile: 'dist/prepare-worker.js' });
// The accuracy pass runs its threads as worker threads (src/runners/accuracy.ts), loaded the same way.
await build({ ...common, entryPoints: ['src/runners/accuracy-worker.ts'], outfile: 'dist/accuracy-worker.js' });

// The Python harness is mounted into containers (docker runner) or run by a local Python: it ships
// beside the bundles, where defaultHarnessPath() looks for it.
mkdirSync('dist/harness', { recursive: true });
copyFileSync('src/runners/harness/bench.py', 'dist/harness/bench.py');
