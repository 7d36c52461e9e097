/**
 * Walks a parsed YAML document with the table of spec.ts: checks types, enums, required and
 * unknown keys, and converts levels, sizes and durations. Every problem is collected (not only
 * the first) with the source offset of the node it is about, and every path read keeps its
 * offset so later checks (files, cross-field rules) can point at the same place.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { Spec } from './spec.js';
import { closest } from './suggest.js';
import { readBytes, readDuration, readLevel, LEVEL_FORMS } from './units.js';
import { resolveAlias } from './yaml-limits.js';
import { counted } from '../plural.js';

export interface Diagnostic {
  /** Source offset, or undefined for problems that are not in the file (action inputs). */
  offset: number | undefined;
  /** `models[0].dataset.labels`, or `input runner`. */
  path: string;
  message: string;
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];
  /** Path → offset of its value in the file. */
  readonly positions = new Map<string, number>();
  /** Paths already reported, so later checks do not pile a second message onto the same field. */
  readonly bad = new Set<string>();

  /** Reports at `path`'s own position, else the nearest enclosing field's. */
  error(path: string, message: string, offset?: number): void {
    this.list.push({ offset: offset ?? this.offsetOf(path), path, message });
    this.bad.add(path);
  }

  /** A problem with a CLI flag or action input, not with the file. */
  inputError(name: string, message: string): void {
    this.list.push({ offset: undefined, path: `input ${name}`, message });
  }

  offsetOf(path: string): number {
    for (let current = path; current !== ''; current = parentPath(current)) {
      const offset = this.positions.get(current);
      if (offset !== undefined) return offset;
    }
    return 0;
  }

  /** One line per problem, in file order (`file:line:col: path: message`), then input problems; repeats capped (capLines). */
  format(file: string, lineCounter: LineCounter): string[] {
    const sorted = [...this.list].sort((a, b) => (a.offset ?? Infinity) - (b.offset ?? Infinity));
    return capLines(
      sorted.map(({ offset, path, message }) => {
        if (offset === undefined) return `${path}: ${message}`;
        const { line, col } = lineCounter.linePos(offset);
        return `${file}:${line}:${col}: ${path === '' ? '' : `${path}: `}${message}`;
      }),
      sorted.map(({ message }) => message),
    );
  }
}

/** At most this many lines with the same message, and this many lines in all. */
const MAX_SAME_MESSAGE = 3;
const MAX_LINES = 40;

/**
 * Caps a list of problem lines: 40,000 unknown keys are one mistake, not 40,000 lines. `keys`
 * tells which lines say the same thing (default: the line without its `file:line:col: ` prefix).
 */
export function capLines(lines: string[], keys: string[] = lines.map((line) => line.replace(/^.*?:\d+:\d+: /, ''))): string[] {
  const out: string[] = [];
  const counts = new Map<string, number>();
  let omitted = 0;
  lines.forEach((line, index) => {
    const key = keys[index] ?? line;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count > MAX_SAME_MESSAGE || out.length >= MAX_LINES) omitted += 1;
    else out.push(line);
  });
  const repeated = [...counts].filter(([, count]) => count > MAX_SAME_MESSAGE);
  for (const [key, count] of repeated.slice(0, 5)) {
    const shown = key.length > 100 ? `${key.slice(0, 97)}...` : key;
    out.push(`… ${(count - MAX_SAME_MESSAGE).toLocaleString('en-US')} more like "${shown}"`);
  }
  const rest = omitted - repeated.slice(0, 5).reduce((n, [, count]) => n + count - MAX_SAME_MESSAGE, 0);
  if (rest > 0) out.push(`… ${rest.toLocaleString('en-US')} more problems left out: fix the ones above first`);
  return out;
}

function parentPath(path: string): string {
  const match = /(?:\.[^.[\]]+|\[\d+\])$/.exec(path);
  return match ? path.slice(0, match.index) : '';
}

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** A key that looks like it holds a secret: gate.yml is committed, secrets belong in inputs. */
const SECRET_KEY = /token|secret|passw(or)?d|webhook|credential|api[-_]?key|access[-_]?key|private[-_]?key/i;

/** Reports every secret-looking key anywhere in the document (also under unknown keys). */
export function reportSecretKeys(document: Document, diagnostics: Diagnostics): void {
  const walk = (input: unknown, path: string, depth: number): void => {
    const node = isAlias(input) ? resolveAlias(document, input) : input;
    if (depth > 64) return; // an alias cycle cannot reach here in YAML, but stay safe
    if (isSeq(node)) node.items.forEach((item, index) => walk(item, joinPath(path, index), depth + 1));
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const keyPath = joinPath(path, key);
      if (SECRET_KEY.test(key)) {
        diagnostics.error(
          keyPath,
          `\`${key}\` looks like a secret, and gate.yml is committed to the repository: pass secrets (tokens, passwords, webhook URLs) as action inputs from \${{ secrets.* }} or as environment variables`,
          offsetOfNode(pair.key),
        );
      } else {
        walk(pair.value, keyPath, depth + 1);
      }
    }
  };
  walk(document.contents, '', 0);
}

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Values after reading: levels are parsed; invalid entries of a list stay as holes so indices keep their meaning. */
export type Value = string | number | boolean | ReturnType<typeof readLevel> | Array<Value | undefined> | { [key: string]: Value };

type YamlNode = unknown;

function offsetOfNode(node: YamlNode): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

function described(node: YamlNode): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return 'nothing (an empty value)';
    if (typeof value === 'string') return quoted(value);
    return `${String(value)} (a ${typeof value === 'boolean' ? 'boolean' : 'number'})`;
  }
  return 'an unsupported value';
}

/** A value as written, cut to 60 characters: a 5,000-character string is shown, not repeated. */
function quoted(value: string): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 56)}..." (${value.length.toLocaleString('en-US')} characters)` : text;
}

function expected(spec: Spec): string {
  switch (spec.type) {
    case 'string':
      if (spec.enum) return `one of ${spec.enum.join(', ')}`;
      return spec.patternHint ? `a string of ${spec.patternHint}` : 'a string';
    case 'integer':
      if (spec.minimum !== undefined && spec.maximum !== undefined)
        return `an integer from ${spec.minimum} to ${spec.maximum.toLocaleString('en-US')}`;
      return spec.minimum === undefined ? 'an integer' : `an integer ≥ ${spec.minimum}`;
    case 'number': {
      const base =
        spec.exclusiveMinimum !== undefined
          ? `a number > ${spec.exclusiveMinimum}`
          : spec.minimum !== undefined
            ? `a number ≥ ${spec.minimum}`
            : 'a number';
      return spec.maximum === undefined ? base : `${base} and ≤ ${spec.maximum.toLocaleString('en-US')}`;
    }
    case 'boolean':
      return 'true or false';
    case 'level':
      return `a level such as ${LEVEL_FORMS}`;
    case 'bytes':
      return 'a size such as 512m, 16g or a number of bytes';
    case 'duration':
      return 'a duration such as 90s, 20m, 1h30m or a number of seconds';
    case 'list':
      return spec.items.type === 'object' ? 'a list of mappings' : `a list, each ${expected(spec.items)}`;
    case 'object':
      return 'a mapping';
    case 'oneOf':
      return spec.variants.map(expected).join(' or ');
  }
}

function kindOf(spec: Spec): 'map' | 'seq' | 'scalar' {
  return spec.type === 'object' ? 'map' : spec.type === 'list' ? 'seq' : 'scalar';
}

export class Reader {
  constructor(
    private readonly document: Document,
    readonly diagnostics: Diagnostics,
  ) {}

  /** Reads `node` at `path`; undefined when it is invalid (already reported). */
  read(input: YamlNode, spec: Spec, path: string, fallbackOffset?: number): Value | undefined {
    const node = isAlias(input) ? resolveAlias(this.document, input) : input;
    const offset = offsetOfNode(input) ?? fallbackOffset;
    if (offset !== undefined) this.diagnostics.positions.set(path, offset);
    const fail = (message: string): undefined => {
      this.diagnostics.error(path, message, offset);
      return undefined;
    };
    const got = `expected ${expected(spec)}, got ${described(node)}`;
    const scalar = isScalar(node) ? node.value : undefined;
    const isNull = node === null || node === undefined || (isScalar(node) && (scalar === null || scalar === undefined));

    switch (spec.type) {
      case 'object': {
        // `store: { file: }` — an empty mapping value means "all defaults".
        if (isNull) return {};
        if (!isMap(node)) return fail(got);
        const out: Record<string, Value> = {};
        const present: string[] = [];
        for (const pair of node.items) {
          const keyNode = pair.key;
          const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
          const keyOffset = offsetOfNode(keyNode) ?? offset;
          if (key === undefined) {
            this.diagnostics.error(path, 'keys must be plain words', keyOffset);
            continue;
          }
          if (isSecretKey(key)) continue; // reported once by reportSecretKeys
          const keyPath = joinPath(path, key);
          const child = Object.hasOwn(spec.properties, key) ? spec.properties[key] : undefined;
          if (!child) {
            const names = Object.keys(spec.properties);
            const guess = closest(key, names);
            this.diagnostics.error(
              keyPath,
              guess ? `unknown key; did you mean \`${guess}\`?` : `unknown key; expected one of: ${names.join(', ')}`,
              keyOffset,
            );
            continue;
          }
          present.push(key);
          const value = this.read(pair.value, child, keyPath, keyOffset);
          if (value !== undefined) out[key] = value;
        }
        for (const key of spec.required ?? []) {
          if (!present.includes(key)) {
            const child = spec.properties[key];
            this.diagnostics.error(joinPath(path, key), `required: ${child ? expected(child) : 'a value'}`, offset);
          }
        }
        if (spec.exactlyOne && present.length !== 1) {
          const names = Object.keys(spec.properties).join(', ');
          return fail(
            present.length === 0
              ? `expected exactly one of ${names}, got none`
              : `expected exactly one of ${names}, got ${present.join(' and ')}`,
          );
        }
        return out;
      }
      case 'list': {
        if (!isSeq(node)) return fail(got);
        const items = node.items.map((item, index) => this.read(item, spec.items, joinPath(path, index), offset));
        if (spec.minItems !== undefined && spec.minItems === spec.maxItems && items.length !== spec.minItems) {
          return fail(`expected exactly ${counted(spec.minItems, 'item', 'items')}, got ${items.length}`);
        }
        if (spec.minItems !== undefined && items.length < spec.minItems) {
          return fail(`expected at least ${counted(spec.minItems, 'item', 'items')}, got ${items.length}`);
        }
        if (spec.maxItems !== undefined && items.length > spec.maxItems) {
          return fail(`expected at most ${counted(spec.maxItems, 'item', 'items')}, got ${items.length}`);
        }
        if (spec.unique) {
          const seen = new Set<string>();
          items.forEach((item, index) => {
            const text = JSON.stringify(item);
            if (item !== undefined && seen.has(text))
              this.diagnostics.error(
                joinPath(path, index),
                `duplicate ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`,
                offsetOfNode(node.items[index]),
              );
            seen.add(text);
          });
        }
        return items;
      }
      case 'oneOf': {
        const kind = isMap(node) ? 'map' : isSeq(node) ? 'seq' : 'scalar';
        const candidates = spec.variants.filter((variant) => kindOf(variant) === kind);
        if (candidates.length === 0) return fail(got);
        for (const variant of candidates.slice(0, -1)) {
          // Try quietly; the last candidate reports its own, most specific message.
          const trial = new Reader(this.document, new Diagnostics()).read(input, variant, path, fallbackOffset);
          if (trial !== undefined) return this.read(input, variant, path, fallbackOffset);
        }
        const last = candidates[candidates.length - 1] as Spec;
        // Two scalar forms (a count or `auto`): a value neither takes names both.
        if (candidates.length > 1 && new Reader(this.document, new Diagnostics()).read(input, last, path, fallbackOffset) === undefined) {
          return fail(`expected ${candidates.map(expected).join(' or ')}, got ${described(node)}`);
        }
        return this.read(input, last, path, fallbackOffset);
      }
      default:
        break;
    }

    if (!isScalar(node) || isNull) return fail(got);
    switch (spec.type) {
      case 'string': {
        let text: string;
        if (typeof scalar === 'string') text = scalar;
        else if (spec.numbersAsText && typeof scalar === 'number') text = String(scalar);
        else return fail(typeof scalar === 'number' && !spec.enum ? `${got}; quote it to use it as text` : got);
        if (text.trim() === '') return fail(`expected ${expected(spec)}, got an empty string`);
        if (spec.enum && !spec.enum.includes(text)) {
          const guess = closest(text, spec.enum);
          return fail(`${got}${guess ? ` (did you mean ${guess}?)` : ''}`);
        }
        if (spec.pattern && !new RegExp(spec.pattern).test(text)) return fail(got);
        return text;
      }
      case 'integer':
      case 'number': {
        if (typeof scalar !== 'number') {
          const numeric = typeof scalar === 'string' && scalar.trim() !== '' && Number.isFinite(Number(scalar));
          return fail(numeric ? `${got} (a string: write the number without quotes)` : got);
        }
        if (!Number.isFinite(scalar)) return fail(got);
        if (spec.type === 'integer' && !Number.isInteger(scalar)) return fail(got);
        if (spec.minimum !== undefined && scalar < spec.minimum) return fail(got);
        if (spec.maximum !== undefined && scalar > spec.maximum) return fail(got);
        if (spec.type === 'number' && spec.exclusiveMinimum !== undefined && scalar <= spec.exclusiveMinimum) return fail(got);
        return scalar;
      }
      case 'boolean': {
        if (typeof scalar === 'boolean') return scalar;
        const yamlOne = typeof scalar === 'string' && /^(yes|no|on|off|y|n)$/i.test(scalar);
        return fail(yamlOne ? `${got} (YAML 1.2 reads it as text: write true or false)` : got);
      }
      case 'level': {
        if (typeof scalar !== 'string' && typeof scalar !== 'number') return fail(got);
        const parsed = readLevel(scalar);
        return typeof parsed === 'string' ? fail(parsed) : parsed;
      }
      case 'bytes':
      case 'duration': {
        if (typeof scalar !== 'string' && typeof scalar !== 'number') return fail(got);
        const parsed = spec.type === 'bytes' ? readBytes(scalar) : readDuration(scalar);
        return typeof parsed === 'string' ? fail(parsed) : parsed;
      }
    }
  }
}
