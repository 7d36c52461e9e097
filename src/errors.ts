/**
 * Named errors: the exit code tells a regression (1) from a broken run (2). Every error that
 * reaches the user says what was wrong and where (file:line:col, input, field, URL).
 */
export class GateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
/** gate.yml, CLI flags or action inputs are wrong. */
export class ConfigError extends GateError {}
/** A dataset, model file or label file is missing or malformed. */
export class DataError extends GateError {}
/** The runner could not produce a valid run result (crash, timeout, OOM, bad document). */
export class RunnerError extends GateError {}
/** The baseline store failed (a read failure is reported, a write failure fails the promotion). */
export class StoreError extends GateError {}
/** A run-result or baseline document does not follow its schema. */
export class SchemaError extends GateError {}

/** Exit codes shared by the CLI and the action. */
export const EXIT = { pass: 0, regression: 1, broken: 2 } as const;
