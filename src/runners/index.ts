import type { Runner } from '../ports.js';
import type { RunnerPlan } from '../types.js';
import { createDockerRunner } from './docker.js';
import { createEmbeddedRunner } from './embedded.js';
import { createLocalRunner } from './local.js';

/** The one runner a gate uses, from gate.yml `runner:` (or the action's `runner` input). */
export function createRunner(plan: RunnerPlan): Runner {
  switch (plan.kind) {
    case 'embedded':
      return createEmbeddedRunner();
    case 'docker':
      return createDockerRunner(plan);
    case 'local':
      return createLocalRunner(plan);
  }
}
