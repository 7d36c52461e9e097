import type { Runner } from '../ports.js';
import type { RunnerPlan } from '../types.js';
import { createDockerRunner } from './docker.js';
import { createEmbeddedRunner } from './embedded.js';
import { createLocalRunner } from './local.js';

/**
 * The one runner a gate uses, from gate.yml `runner:` (or the action's `runner` input). The gate
 * id labels the docker runner's containers, so a run can sweep its own gate's leftovers.
 */
export function createRunner(plan: RunnerPlan, opts: { gateId?: string } = {}): Runner {
  switch (plan.kind) {
    case 'embedded':
      return createEmbeddedRunner();
    case 'docker':
      return createDockerRunner(plan, opts.gateId !== undefined ? { gateId: opts.gateId } : {});
    case 'local':
      return createLocalRunner(plan);
  }
}
