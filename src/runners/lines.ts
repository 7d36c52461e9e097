/**
 * A child's output, in time and memory linear in its size: a line splitter that looks at each
 * character once (a 40 MB line without a newline, or 24 MB of `\r` progress frames, is one pass
 * with a bounded buffer), lines cut to their head and tail, and a log file with a size cap that
 * says what it dropped.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** A line keeps at most this many characters from its start and as many from its end. */
const LINE_KEEP = 8 * 1024;

/** The log file keeps its first LOG_HEAD_BYTES and its last LOG_TAIL_BYTES; what lies between is counted. */
export const LOG_HEAD_BYTES = 8 * 1024 * 1024;
export const LOG_TAIL_BYTES = 1024 * 1024;

function cutMarker(chars: number): string {
  return `[… ${chars} characters cut …]`;
}

/**
 * Splits a stream of chunks into lines at `\n`, `\r\n` and `\r`. A bare `\r` starts the line
 * over, as a terminal does (a progress bar's frames overwrite each other; the last frame stands).
 * A line longer than 2 × `keep` is passed on as its first and last `keep` characters around a
 * note of how many were cut, so no line, however long, is held whole.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private head = '';
  private tail = '';
  private cut = 0;
  /** A `\r` ended the last chunk: a `\n` first in the next one makes it a line end, anything else a restart. */
  private pendingCR = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly keep = LINE_KEEP,
  ) {}

  push(chunk: Buffer | string): void {
    this.scan(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /** Flushes the last line (a final progress frame, a line without a newline). */
  end(): void {
    this.scan(this.decoder.end());
    this.pendingCR = false;
    if (this.head.length > 0 || this.tail.length > 0) this.emit();
  }

  private scan(text: string): void {
    let pos = 0;
    if (this.pendingCR && text.length > 0) {
      this.pendingCR = false;
      if (text.charCodeAt(0) === 10) {
        this.emit();
        pos = 1;
      } else this.reset();
    }
    let nl = text.indexOf('\n', pos);
    let cr = text.indexOf('\r', pos);
    while (nl !== -1 || cr !== -1) {
      if (cr === -1 || (nl !== -1 && nl < cr)) {
        this.append(text, pos, nl);
        this.emit();
        pos = nl + 1;
        nl = text.indexOf('\n', pos);
        continue;
      }
      this.append(text, pos, cr);
      if (cr + 1 === text.length) {
        this.pendingCR = true;
        return;
      }
      if (text.charCodeAt(cr + 1) === 10) {
        this.emit();
        pos = cr + 2;
        nl = text.indexOf('\n', pos);
      } else {
        this.reset();
        pos = cr + 1;
      }
      cr = text.indexOf('\r', pos);
    }
    this.append(text, pos, text.length);
  }

  /** Adds text[from, to) to the current line: the head fills first, then a tail of at most 2 × keep (trimmed to keep). */
  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    if (this.head.length < this.keep) {
      const take = Math.min(this.keep - this.head.length, to - from);
      this.head += text.slice(from, from + take);
      from += take;
      if (from === to) return;
    }
    if (to - from >= this.keep) {
      this.cut += this.tail.length + (to - from - this.keep);
      this.tail = text.slice(to - this.keep, to);
      return;
    }
    this.tail += text.slice(from, to);
    if (this.tail.length > 2 * this.keep) {
      this.cut += this.tail.length - this.keep;
      this.tail = this.tail.slice(-this.keep);
    }
  }

  private emit(): void {
    if (this.tail.length > this.keep && (this.cut > 0 || this.head.length + this.tail.length > 2 * this.keep)) {
      this.cut += this.tail.length - this.keep;
      this.tail = this.tail.slice(-this.keep);
    }
    const line = this.cut > 0 ? `${this.head}${cutMarker(this.cut)}${this.tail}` : this.head + this.tail;
    this.reset();
    this.onLine(line);
  }

  private reset(): void {
    this.head = '';
    this.tail = '';
    this.cut = 0;
  }
}

/** A line as it may appear in an error message: at most `max` characters, its start and its end. */
export function messageLine(line: string, max = 300): string {
  if (line.length <= max) return line;
  const half = Math.floor((max - 3) / 2);
  return `${line.slice(0, half)} … ${line.slice(-half)}`;
}

/**
 * A log file that keeps the first `headBytes` written and the last `tailBytes` (in memory until
 * close), with a note of how many bytes were dropped between them.
 */
export class CappedLog {
  private readonly stream: WriteStream;
  private written = 0;
  private full = false;
  /** The kept tail: parts[first…] with their byte sizes (a start index, so dropping one is O(1)). */
  private parts: string[] = [];
  private sizes: number[] = [];
  private first = 0;
  private tailBytes = 0;
  private dropped = 0;

  constructor(
    readonly path: string,
    private readonly headBytes = LOG_HEAD_BYTES,
    private readonly tailKeep = LOG_TAIL_BYTES,
  ) {
    this.stream = createWriteStream(path);
    this.stream.on('error', () => undefined); // a log that cannot be written must not end the run
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (!this.full && this.written + bytes <= this.headBytes) {
      this.stream.write(text);
      this.written += bytes;
      return;
    }
    this.full = true;
    this.parts.push(text);
    this.sizes.push(bytes);
    this.tailBytes += bytes;
    while (this.parts.length - this.first > 1 && this.tailBytes - this.sizes[this.first]! >= this.tailKeep) {
      this.tailBytes -= this.sizes[this.first]!;
      this.dropped += this.sizes[this.first]!;
      this.first++;
    }
    if (this.first > 1024 && this.first * 2 > this.parts.length) {
      this.parts = this.parts.slice(this.first);
      this.sizes = this.sizes.slice(this.first);
      this.first = 0;
    }
  }

  /** Writes the kept tail (after a note of what was dropped) and closes the file. */
  close(): Promise<void> {
    if (this.parts.length > this.first) {
      if (this.dropped > 0) {
        this.stream.write(
          `[paddle-perf-gate: ${this.dropped} bytes of output dropped here; this log keeps the first ${this.written} bytes and the last ${this.tailBytes}]\n`,
        );
      }
      this.stream.write(this.parts.slice(this.first).join(''));
      this.parts = [];
      this.sizes = [];
      this.first = 0;
    }
    return new Promise<void>((done) => this.stream.end(() => done()));
  }
}
