// The action's entry (bundled to dist/index.js): nothing but run().
import { run } from './action.js';

await run();
