/**
 * PP-OCR recognition: CTC greedy decoding and PaddleOCR's RecMetric, with the same definitions
 * as ppocr/postprocess/rec_postprocess.py and ppocr/metrics/rec_metric.py so numbers compare.
 */
import { DataError } from '../errors.js';
import { counted } from '../plural.js';

/**
 * Greedy CTC decode of per-step argmax ids (PaddleOCR CTCLabelDecode): merge repeats, drop the
 * blank (0); class i ↦ dictionary[i − 1]; class dictionary.length + 1 is the space
 * (`use_space_char`). Confidence = mean probability of the kept steps (0 for an empty line).
 */
export function ctcGreedyDecode(ids: number[], probs: number[], dictionary: string[]): { text: string; confidence: number } {
  if (probs.length !== ids.length) {
    throw new DataError(
      `CTC output has ${counted(ids.length, 'step id', 'step ids')} but ${counted(probs.length, 'probability', 'probabilities')}`,
    );
  }
  const space = dictionary.length + 1;
  let text = '';
  let sum = 0;
  let kept = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === 0 || (i > 0 && id === ids[i - 1])) continue;
    if (!Number.isInteger(id) || id < 0 || id > space) {
      throw new DataError(
        `CTC class id ${id} at step ${i} is outside the dictionary (${counted(dictionary.length, 'character', 'characters')} + blank + space): ` +
          'the model and the dictionary do not match',
      );
    }
    text += id === space ? ' ' : dictionary[id - 1]!;
    sum += probs[i]!;
    kept++;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}

/**
 * A label as PaddleOCR's label encoding sees it (ppocr/data/imaug/label_ops.py
 * BaseRecLabelEncode.encode): characters outside the dictionary (and the space class) are
 * dropped before scoring; a label left empty is no label at all (PaddleOCR skips the sample).
 */
export function encodeLabel(label: string, known: ReadonlySet<string>): { text: string | null; dropped: number } {
  let text = '';
  let dropped = 0;
  for (const ch of label) {
    if (known.has(ch)) text += ch;
    else dropped++;
  }
  return { text: text.length === 0 ? null : text, dropped };
}

/** Edit distance (insert, delete, substitute, each 1) over Unicode code points, not UTF-16 units. */
export function levenshtein(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  if (s.length === 0) return t.length;
  if (t.length === 0) return s.length;
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  let cur = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const sub = prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1);
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, sub);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[t.length]!;
}

/**
 * PaddleOCR RecMetric with its default `ignore_space=True` (spaces removed from both sides) and
 * `is_filter=False`: acc = exact lines / lines; normEditDis = 1 − mean(lev / max(len)) where two
 * empty strings count as distance 0. Both are fractions in [0, 1]; perSample is 1 for an exact line.
 */
export function recMetrics(preds: string[], labels: string[]): { acc: number; normEditDis: number; perSample: number[] } {
  if (preds.length !== labels.length) {
    throw new DataError(
      `recMetrics: ${counted(preds.length, 'prediction', 'predictions')} for ${counted(labels.length, 'label', 'labels')}`,
    );
  }
  const perSample: number[] = [];
  let distance = 0;
  for (let i = 0; i < preds.length; i++) {
    const p = preds[i]!.replaceAll(' ', '');
    const l = labels[i]!.replaceAll(' ', '');
    const longest = Math.max(Array.from(p).length, Array.from(l).length);
    distance += longest === 0 ? 0 : levenshtein(p, l) / longest;
    perSample.push(p === l ? 1 : 0);
  }
  const n = preds.length;
  if (n === 0) return { acc: 0, normEditDis: 0, perSample };
  const correct = perSample.reduce((s, v) => s + v, 0);
  return { acc: correct / n, normEditDis: 1 - distance / n, perSample };
}
