/**
 * Label files as users have them. Each parser reports errors as `file:line: what was expected`.
 */
import { DataError } from '../errors.js';
import { counted } from '../plural.js';

export interface LabelEntry {
  /** 1-based line number in the label file. */
  line: number;
  /** The image path as written (relative to the dataset root, or absolute). */
  image: string;
  /** OCR text, or the class index as a decimal string. */
  label: string;
}

/** Text lines without the BOM and line terminators, blank lines dropped, numbered from 1. */
function lines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const raw = text.replace(/^\uFEFF/, '').split('\n');
  raw.forEach((t, i) => {
    const s = t.endsWith('\r') ? t.slice(0, -1) : t;
    if (s.trim() !== '') out.push({ line: i + 1, text: s });
  });
  return out;
}

/**
 * A bad line, quoted only once the file has shown itself a label file (a line before it parsed):
 * a first line that is no label line may be any file's (a key, a config), so only its length is
 * said (issue 25).
 */
function excerpt(s: string, parsed: number): string {
  if (parsed === 0)
    return `a line of ${counted(s.length, 'character', 'characters')} (not quoted: no line before it is a label line, so this may be no label file)`;
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/**
 * PaddleOCR recognition labels (ppocr/data/simple_dataset.py, delimiter '\t'):
 * `image_path<TAB>text`. The text is taken whole after the first TAB (PaddleOCR keeps the
 * second field; a second TAB in a line is reported rather than silently cut).
 */
export function parsePpocrRec(text: string, file: string): LabelEntry[] {
  const entries: LabelEntry[] = [];
  for (const { line, text: s } of lines(text)) {
    const tab = s.indexOf('\t');
    if (tab < 0) throw new DataError(`${file}:${line}: expected "image<TAB>text", found no TAB in ${excerpt(s, entries.length)}`);
    const image = s.slice(0, tab).trim();
    const label = s.slice(tab + 1);
    if (image === '') throw new DataError(`${file}:${line}: expected "image<TAB>text", the image path is empty`);
    if (image.startsWith('[')) {
      throw new DataError(`${file}:${line}: a list of images per line is not supported (expected one image path before the TAB)`);
    }
    if (label.includes('\t')) throw new DataError(`${file}:${line}: expected "image<TAB>text", found more than one TAB`);
    if (label === '') throw new DataError(`${file}:${line}: expected "image<TAB>text", the text after the TAB is empty`);
    entries.push({ line, image, label });
  }
  return entries;
}

/**
 * PaddleClas / ImageNet lists (ppcls/data/dataloader/imagenet_dataset.py): `image_path label`,
 * label a class index. The label is the last whitespace-separated field, so paths may contain
 * spaces.
 */
export function parseImageList(text: string, file: string, classCount?: number): LabelEntry[] {
  const entries: LabelEntry[] = [];
  for (const { line, text: s } of lines(text)) {
    const m = /^(.*\S)\s+(\S+)\s*$/.exec(s);
    if (!m) throw new DataError(`${file}:${line}: expected "image label", got ${excerpt(s, entries.length)}`);
    const image = m[1]!.trim();
    const label = m[2]!;
    if (!/^\d+$/.test(label)) {
      throw new DataError(
        `${file}:${line}: expected "image label" with a class index (0, 1, …) as label, got ${excerpt(label, entries.length)}`,
      );
    }
    const index = Number(label);
    if (classCount !== undefined && index >= classCount) {
      throw new DataError(`${file}:${line}: class index ${index} is out of range (${classCount} class names given)`);
    }
    entries.push({ line, image, label: String(index) });
  }
  return entries;
}

/**
 * One label per line for an NPY dataset: with class names, a class index or a class name
 * (stored as the index); otherwise the text as is.
 */
export function parsePlainLabels(text: string, file: string, classNames?: string[]): Array<{ line: number; label: string }> {
  // Blank lines can't be dropped here (rows are matched by position), except trailing ones.
  const raw = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((t) => (t.endsWith('\r') ? t.slice(0, -1) : t));
  while (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  return raw.map((s, i) => {
    const line = i + 1;
    if (s === '') throw new DataError(`${file}:${line}: empty label (expected one label per line, one line per NPY row)`);
    if (!classNames) return { line, label: s };
    const byName = classNames.indexOf(s);
    if (byName >= 0) return { line, label: String(byName) };
    if (/^\d+$/.test(s) && Number(s) < classNames.length) return { line, label: String(Number(s)) };
    throw new DataError(
      `${file}:${line}: expected a class index below ${classNames.length} or one of the class names, got ${excerpt(s, i)}`,
    );
  });
}

/**
 * A PaddleOCR character dictionary (ppocr/postprocess/rec_postprocess.py BaseRecLabelDecode):
 * one character per line, line terminators stripped, order = class index − 1.
 */
export function parseDictionary(text: string, file: string): string[] {
  const raw = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((t) => (t.endsWith('\r') ? t.slice(0, -1) : t));
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  if (raw.length === 0) throw new DataError(`${file}: the dictionary is empty (expected one character per line)`);
  const empty = raw.findIndex((c) => c === '');
  if (empty >= 0) throw new DataError(`${file}:${empty + 1}: empty dictionary line (expected one character per line)`);
  return raw;
}
