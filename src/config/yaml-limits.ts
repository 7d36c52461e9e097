/**
 * Limits on what a YAML document may cost before the walker (read.ts) touches it.
 *
 * - Aliases stay allowed (shared blocks such as `dataset: *ocr` are real use), but their expansion
 *   is bounded by the yaml library's own guard (`maxAliasCount`, the count of alias expansions
 *   weighted by nesting): a "billion laughs" block is refused in milliseconds instead of being
 *   walked node by node for ever. The walker then resolves each alias through a map built once
 *   (the library's `Alias.resolve(doc)` scans the whole document on every call).
 * - Duplicate keys are found with one set per mapping: linear, where the library's `uniqueKeys`
 *   compares every key with every earlier one.
 */
import { isAlias, isMap, isScalar, visit, type Document, type Node } from 'yaml';

/** The yaml library's default: at most 100 alias expansions, weighted by how many aliases each one holds. */
const MAX_ALIAS_COUNT = 100;

export interface Problem {
  offset: number;
  message: string;
  /** Where the first of a repeated thing is. */
  firstOffset?: number;
}

function offsetOf(node: unknown): number {
  return (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
}

function keyText(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Every key that repeats an earlier key of the same mapping, each with the line of the first. */
export function duplicateKeys(document: Document): Problem[] {
  const problems: Problem[] = [];
  visit(document, {
    Map(_key, map) {
      const seen = new Map<string, unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue; // the walker refuses non-scalar keys itself
        const value = pair.key.value;
        const id = `${typeof value}:${String(value)}`;
        const first = seen.get(id);
        if (first === undefined) seen.set(id, pair.key);
        else
          problems.push({
            offset: offsetOf(pair.key),
            message: `duplicate key ${keyText(value)}: keys of a mapping must be unique`,
            firstOffset: offsetOf(first),
          });
      }
    },
  });
  return problems;
}

/** The alias bomb check, by the library; an alias cycle and an unknown anchor are refused too. */
export function aliasProblems(document: Document): Problem[] {
  let firstAlias: unknown;
  visit(document, {
    Alias(_key, node) {
      firstAlias = node;
      return visit.BREAK;
    },
  });
  if (firstAlias === undefined) return [];
  try {
    document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const bomb = /excessive alias count/i.test(reason);
    return [
      {
        offset: offsetOf(firstAlias),
        message: bomb
          ? `aliases expand too far (more than ${MAX_ALIAS_COUNT} expansions, counting nested ones): gate.yml may use anchors and aliases for shared blocks, not to multiply them`
          : `cannot resolve the aliases: ${reason}`,
      },
    ];
  }
  return aliasCycle(document);
}

/** Alias → the node it names, built in one pass (document order: the last anchor of that name before the alias). */
const targets = new WeakMap<Document, Map<unknown, Node>>();

export function resolveAlias(document: Document, alias: unknown): unknown {
  let map = targets.get(document);
  if (!map) {
    const built = new Map<unknown, Node>();
    const anchors = new Map<string, Node>();
    visit(document, {
      Node(_key, node) {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (target) built.set(node, target);
        } else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
    targets.set(document, built);
    map = built;
  }
  return map.get(alias);
}

/** An alias inside the very node it names (`a: &x [*x]`) would make the walker go round for ever. */
function aliasCycle(document: Document): Problem[] {
  const problems: Problem[] = [];
  const open: unknown[] = [];
  const walk = (node: unknown): void => {
    if (isAlias(node)) {
      const target = resolveAlias(document, node);
      if (open.includes(target))
        problems.push({ offset: offsetOf(node), message: `alias *${node.source} refers to a node that contains it` });
      return;
    }
    open.push(node);
    if (isMap(node))
      for (const pair of node.items) {
        walk(pair.key);
        walk(pair.value);
      }
    else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items))
      for (const item of (node as { items: unknown[] }).items) walk(item);
    open.pop();
  };
  walk(document.contents);
  return problems;
}
