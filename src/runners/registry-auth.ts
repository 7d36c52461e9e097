/**
 * Credentials for pulling a private image. The Engine API never reads the client's
 * ~/.docker/config.json, so the runner does what the docker CLI does: an explicit credential
 * (the action's `registry-auth` input) first, then the docker config file — `credHelpers` for
 * the image's registry, `credsStore`, then `auths` (base64 user:password or an identity token).
 *
 * An image reference without a registry host is pulled from the engine's default registry. The
 * gate names no registry itself, so for those images only the explicit credential is used (give
 * `registry-auth`, with its `serveraddress` if the engine needs one); config-file credentials are
 * looked up for images that name their registry host.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RunnerError } from '../errors.js';

/** What the engine takes as X-Registry-Auth. */
export interface EngineAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  /** Absent for the engine's default registry. */
  serveraddress?: string;
}

/** The registry host an image reference names, or undefined for the engine's default registry. */
export function registryOf(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  // Like the docker CLI: a first component with a dot or a port, or localhost, is a registry host.
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

/** What a message calls the image's registry. */
export function registryName(image: string): string {
  return registryOf(image) ?? "the engine's default registry";
}

/** A config key (`https://host/v1/`, `host:5000`, …) as a bare host. */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

function runHelper(helper: string, server: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${stderr.toString().trim() || stdout.toString().trim() || error.message}`));
      else resolve(stdout.toString());
    });
    child.stdin?.end(server);
  });
}

/**
 * Credentials for `image` from the docker config file (DOCKER_CONFIG or ~/.docker), or
 * undefined when it names none. `source` says where they came from (never the secret itself).
 */
export async function authFromDockerConfig(
  image: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ auth: EngineAuth; source: string } | undefined> {
  const file = join(env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // no config file: an anonymous pull
  }
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch (error) {
    throw new RunnerError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const registry = registryOf(image);
  if (registry === undefined) return undefined; // the engine's default registry: only an explicit credential
  const server = registry;

  const helperName =
    Object.entries(config.credHelpers ?? {}).find(([key]) => hostOfKey(key) === registry)?.[1] ?? config.credsStore ?? undefined;
  if (helperName) {
    let out: string;
    try {
      out = await runHelper(helperName, server, 30_000);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // "credentials not found" is a normal answer: pull anonymously. Anything else is the user's to fix.
      if (/not found|no credentials/i.test(message)) return undefined;
      throw new RunnerError(`credential helper docker-credential-${helperName} (${file}) failed for ${registry}: ${message}`);
    }
    let parsed: { Username?: unknown; Secret?: unknown };
    try {
      parsed = JSON.parse(out) as typeof parsed;
    } catch {
      throw new RunnerError(`credential helper docker-credential-${helperName} (${file}) printed no JSON for ${registry}`);
    }
    if (typeof parsed.Secret !== 'string' || parsed.Secret === '') return undefined;
    const auth: EngineAuth =
      parsed.Username === '<token>'
        ? { identitytoken: parsed.Secret, serveraddress: server }
        : { username: String(parsed.Username ?? ''), password: parsed.Secret, serveraddress: server };
    return { auth, source: `docker-credential-${helperName}` };
  }

  const entry = Object.entries(config.auths ?? {}).find(([key]) => hostOfKey(key) === registry)?.[1];
  if (!entry) return undefined;
  if (entry.identitytoken) return { auth: { identitytoken: entry.identitytoken, serveraddress: server }, source: `${file} auths` };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new RunnerError(`${file}: auths["${registry}"].auth: expected base64 of user:password`);
    return {
      auth: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: server },
      source: `${file} auths`,
    };
  }
  if (entry.username && entry.password) {
    return { auth: { username: entry.username, password: entry.password, serveraddress: server }, source: `${file} auths` };
  }
  return undefined;
}
