/**
 * Path-safe key segments. One encoding for every store (file paths, S3 keys, cache keys), so a
 * branch called `feature/x`, `v1.2`, `分支` or `../etc` lands in exactly one segment and can never
 * climb out of the store's prefix.
 */
import type { BaselineKey } from '../types.js';
import { StoreError } from '../errors.js';

const SAFE = /[A-Za-z0-9_.-]/;

/**
 * Percent-encodes every byte outside [A-Za-z0-9_.-] (UTF-8), and a leading dot, so '.', '..' and
 * hidden names cannot occur. Injective: '%' itself is encoded, so two names never share a key.
 */
export function segment(value: string, what = 'key segment'): string {
  if (value.length === 0) throw new StoreError(`${what} is empty; a baseline key needs a non-empty ${what}`);
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch) && !(ch === '.' && out.length === 0)) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** `<repo>/<gate>`: the part shared by every model of one gate. */
export function gatePath(key: Pick<BaselineKey, 'repo' | 'gate'>): string {
  return [segment(key.repo, 'repo'), segment(key.gate, 'gate id')].join('/');
}

/**
 * Gate-level documents live under `<repo>/<gate>/@gate/`: '@' is always percent-encoded in a
 * segment, so no model name can ever land on this directory.
 */
const GATE_DIR = '@gate';

/** Store-level documents (the conditional-write probe) live under `@store/` at the store's root. */
export const STORE_DIR = '@store';

/** `<repo>/<gate>/<model>`: the part shared by every fingerprint of one model. */
function modelPath(key: Pick<BaselineKey, 'repo' | 'gate' | 'model'>): string {
  return [segment(key.repo, 'repo'), segment(key.gate, 'gate id'), segment(key.model, 'model name')].join('/');
}

/** `<repo>/<gate>/<model>/<fingerprintHash>`. */
function fingerprintPath(key: BaselineKey): string {
  return `${modelPath(key)}/${segment(key.fingerprintHash, 'fingerprint hash')}`;
}

/** Relative object paths of the layout, shared by the file, S3 and cache stores. */
export const layout = {
  commit: (key: BaselineKey, sha: string) => `${fingerprintPath(key)}/commits/${segment(sha, 'commit')}.json`,
  branch: (key: BaselineKey, branch: string) => `${fingerprintPath(key)}/branches/${segment(branch, 'branch name')}.json`,
  history: (key: BaselineKey) => `${fingerprintPath(key)}/history.json`,
  latest: (key: Pick<BaselineKey, 'repo' | 'gate' | 'model'>) => `${modelPath(key)}/latest.json`,
  /** The seal of one promoted commit: which models/fingerprints it holds (the transaction's commit point). */
  seal: (key: Pick<BaselineKey, 'repo' | 'gate'>, sha: string) => `${gatePath(key)}/${GATE_DIR}/commits/${segment(sha, 'commit')}.json`,
  /** One branch's manifest: its pointer per model/fingerprint and its promotion history. */
  manifest: (key: Pick<BaselineKey, 'repo' | 'gate'>, branch: string) =>
    `${gatePath(key)}/${GATE_DIR}/branches/${segment(branch, 'branch name')}.json`,
};
