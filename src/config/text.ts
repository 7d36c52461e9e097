/**
 * Text files the gate reads (gate.yml, label files, dictionaries) must be UTF-8. Anything else is
 * named rather than dumped: a UTF-16 or UTF-32 file (with or without a byte-order mark, told
 * apart the way YAML 1.2 §5.2 does), a byte that is not UTF-8 (with its offset, line and column),
 * or a NUL byte (a binary file). Other encodings are refused, not converted: PaddleOCR and
 * PaddleClas read their label files and dictionaries as UTF-8, so a file the gate decoded
 * differently would not be the file the model's own tools read.
 */

/** What went wrong, or the decoded text. */
export type Decoded = { text: string } | { problem: string };

const BOMS: ReadonlyArray<readonly [number[], string]> = [
  [[0x00, 0x00, 0xfe, 0xff], 'UTF-32BE'],
  [[0xff, 0xfe, 0x00, 0x00], 'UTF-32LE'],
  [[0xfe, 0xff], 'UTF-16BE'],
  [[0xff, 0xfe], 'UTF-16LE'],
];

/** The encoding of a file that is UTF-16/32, from its byte-order mark or its first bytes; undefined otherwise. */
function wideEncoding(bytes: Uint8Array): string | undefined {
  for (const [bom, name] of BOMS) {
    if (bom.every((b, i) => bytes[i] === b)) return `${name} (byte-order mark ${bom.map(hex).join(' ')})`;
  }
  // No mark: the first character of a text is ASCII, so its zero bytes say the width and order.
  const [a, b, c, d] = [bytes[0], bytes[1], bytes[2], bytes[3]];
  if (bytes.length >= 4 && a === 0 && b === 0 && c === 0 && d !== 0) return 'UTF-32BE (no byte-order mark)';
  if (bytes.length >= 4 && a !== 0 && b === 0 && c === 0 && d === 0) return 'UTF-32LE (no byte-order mark)';
  if (bytes.length >= 2 && a === 0 && b !== 0) return 'UTF-16BE (no byte-order mark)';
  if (bytes.length >= 2 && a !== 0 && b === 0) return 'UTF-16LE (no byte-order mark)';
  return undefined;
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF), or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column (in bytes) of a byte offset. */
function position(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line += 1;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

/**
 * UTF-8 text (a UTF-8 byte-order mark is dropped), or why the bytes are not: `file:line:col: …`
 * messages that name the encoding found and how to convert it.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): Decoded {
  const wide = wideEncoding(bytes);
  if (wide) {
    const name = wide.split(' ')[0];
    return {
      problem: `${file}: the file is ${wide}, expected UTF-8: convert it, e.g. \`iconv -f ${name} -t UTF-8\`, or save it as UTF-8 in the editor`,
    };
  }
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const skipped = bytes.length - body.length;
  const bad = invalidUtf8Offset(body);
  if (bad >= 0) {
    const at = position(body, bad);
    const shown = Array.from(body.subarray(bad, bad + 4), hex).join(' ');
    return {
      problem: `${file}:${at.line}:${at.col}: not valid UTF-8: byte offset ${bad + skipped} starts ${shown} (Latin-1, GBK or Windows-1252 text?): save the file as UTF-8`,
    };
  }
  const nul = body.indexOf(0);
  if (nul >= 0) {
    const at = position(body, nul);
    return { problem: `${file}:${at.line}:${at.col}: a NUL byte at byte offset ${nul + skipped}: expected a text file` };
  }
  return { text: new TextDecoder('utf-8').decode(body) };
}
