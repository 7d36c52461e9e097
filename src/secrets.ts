/**
 * Secret masking for the files the gate writes from a child's output (issue 25): harness.log
 * and container.log are archived with the output directory, outside the job log where the
 * runner masks what `core.setSecret` registered. The same values are masked here, in one place:
 * the inputs the action registers (github-token, webhook URLs, signing secrets, registry
 * password), and the values of this process's environment variables whose names say they are
 * credentials (AWS_SECRET_ACCESS_KEY, ACTIONS_RUNTIME_TOKEN, …).
 */
const registered = new Set<string>();

/** Names of environment variables that hold credentials. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|WEBHOOK|API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUTH/i;

/** Registers a value to be masked (the action calls it beside core.setSecret). */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.trim().length >= 4) registered.add(value);
}

function secrets(env: NodeJS.ProcessEnv): string[] {
  const all = new Set(registered);
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && SECRET_NAME.test(name)) all.add(value);
  }
  // Longest first, so a secret that contains another is masked whole.
  return [...all].sort((a, b) => b.length - a.length);
}

/** `text` with every secret value replaced by `***`, as the job log shows it. */
export function maskSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const value of secrets(env)) if (out.includes(value)) out = out.split(value).join('***');
  return out;
}

/**
 * The environment a harness or `runner.command` gets from this process: an allow-list of what a
 * Python, CUDA or Paddle process needs (paths, locale, the Python and conda setup, CUDA, thread
 * counts, Paddle's FLAGS_*, and where a wrapper's Docker engine is), never an action input
 * (INPUT_*), a token, a webhook or a credential (a name that says so is dropped even if listed).
 */
export function childEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const ALLOW =
    /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|TEMP|TMP|TERM|LC_[A-Z]+|PYTHON[A-Z_]*|VIRTUAL_ENV|CONDA_[A-Z_]+|LD_LIBRARY_PATH|LD_PRELOAD|CUDA_[A-Z_]+|NVIDIA_[A-Z_]+|CUDNN_[A-Z_]+|TRT_[A-Z_]+|TENSORRT_[A-Z_]+|OMP_[A-Z_]+|MKL_[A-Z_]+|OPENBLAS_[A-Z_]+|KMP_[A-Z_]+|FLAGS_[A-Za-z0-9_]+|GLOG_[A-Za-z_]+|PADDLE_[A-Z_]+|XDG_[A-Z_]+|DOCKER_HOST|DOCKER_CONTEXT|DOCKER_CONFIG|DOCKER_CERT_PATH|DOCKER_TLS_VERIFY|SYSTEMROOT|COMSPEC|PATHEXT|WINDIR)$/;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !ALLOW.test(name) || SECRET_NAME.test(name)) continue;
    out[name] = value;
  }
  return out;
}
