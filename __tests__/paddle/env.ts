/**
 * Where the real-Paddle tests find Paddle: the venvs of scripts/python-env.sh and the models of
 * scripts/paddle-models.sh, through the variables those scripts print (scripts/test.sh exports
 * them). Without them the tests skip with a loud message — except in CI, where that is a failure
 * (the convention of dockerHostOrSkip in __tests__/runners/fixtures.ts).
 */
import { existsSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface PaddleEnv {
  /** Paddle 3.3.1 (numpy 2): loads inference.json (PIR) and inference.pdmodel. */
  paddle33: string;
  /** Paddle 2.6.2 (numpy 1.26): loads inference.pdmodel only (an inference.json crashes it). */
  paddle26: string;
  /** $PPG_PADDLE_MODELS: <model>/paddle-pdmodel/, <model>/paddle-pir/, digits/test-set/. */
  models: string;
}

/** The images `scripts/docker-env.sh start` makes (Debian bookworm, python3 3.11, the pins of scripts/requirements/paddle-<v>.txt). */
export const PADDLE_IMAGES = { '3.3': 'ppg-test/paddle:3.3-cpu', '2.6': 'ppg-test/paddle:2.6-cpu' } as const;

const SETUP = 'eval "$(bash scripts/python-env.sh)" && eval "$(bash scripts/paddle-models.sh)"';

export function paddleEnvOrSkip(): PaddleEnv | undefined {
  const paddle33 = process.env['PPG_PADDLE33_PYTHON'];
  const paddle26 = process.env['PPG_PADDLE26_PYTHON'];
  const models = process.env['PPG_PADDLE_MODELS'];
  const problems = [
    !paddle33 || !existsSync(paddle33) ? `PPG_PADDLE33_PYTHON (${paddle33 ?? 'unset'})` : undefined,
    !paddle26 || !existsSync(paddle26) ? `PPG_PADDLE26_PYTHON (${paddle26 ?? 'unset'})` : undefined,
    !models || !existsSync(join(models, '.ppg-stamp')) ? `PPG_PADDLE_MODELS (${models ?? 'unset'})` : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length === 0) return { paddle33: paddle33!, paddle26: paddle26!, models: models! };
  const msg = `REAL-PADDLE TESTS SKIPPED: no usable ${problems.join(', ')}; run \`${SETUP}\` first`;
  if (process.env['CI'] === 'true') throw new Error(`${msg} (CI=true: missing Paddle is a failure)`);
  // Straight to the terminal (fd 2): what tests print otherwise goes to their log (setup/quiet.ts).
  writeSync(2, `\n${'!'.repeat(100)}\n!! ${msg}\n${'!'.repeat(100)}\n\n`);
  return undefined;
}
