// Bundles the action (dist/index.js) and the CLI (dist/cli.js) with esbuild.
// Native modules cannot be inlined: onnxruntime-node (loaded lazily by the embedded runner) and
// ssh2's optional native crypto / cpu-features (pulled in by dockerode) stay external.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  external: ['onnxruntime-node', 'cpu-features', '*.node'],
  // Some bundled CommonJS dependencies call require(); give ESM output one.
  banner: { js: "import { createRequire as __ppgCreateRequire } from 'node:module'; const require = __ppgCreateRequire(import.meta.url);" },
};

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' });
await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node\n' + common.banner.js } });
