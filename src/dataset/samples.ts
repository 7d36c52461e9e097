/**
 * Reading a prepared dataset in chunks: a runner asks for samples [first, first + n) and gets
 * their float32 tensors, read from disk at that moment, so its memory holds a chunk, never the
 * whole set. The compact encoding (u8-lut, see prepared.ts) is expanded here, outside any timed
 * call.
 */
import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from '../errors.js';
import { npyHeader } from './npy.js';
import { DATASET_SCHEMA, INPUTS_FILE, MANIFEST_FILE, PIXELS_FILE, type PixelEncoding, type PreparedDataset } from './prepared.js';
import { expandPixels, type PixelLut } from './preprocess.js';
import { randomValues } from './random.js';
import { counted } from '../plural.js';

export interface SampleReader {
  readonly count: number;
  /** [C, H, W] (or whatever follows N in the prepared shape). */
  readonly sampleShape: number[];
  /** Values per sample. */
  readonly sampleSize: number;
  /**
   * Samples first … first + n − 1 as one float32 array of n × sampleSize values: written into
   * `into` (its first n × sampleSize values, returned as a view) when it is given and large
   * enough — a loop that reads chunk after chunk then leaves no buffer behind for the collector —
   * else a new array.
   */
  read(first: number, n: number, into?: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

export async function openSamples(ds: PreparedDataset): Promise<SampleReader> {
  const [count, ...sampleShape] = ds.shape;
  if (!count || sampleShape.length === 0) throw new DataError(`dataset ${ds.dir}: no samples`);
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const enc = ds.encoding;
  const output = (n: number, into: Float32Array | undefined) =>
    into && into.length >= n * sampleSize ? into.subarray(0, n * sampleSize) : new Float32Array(n * sampleSize);
  const check = (first: number, n: number, file: string) => {
    if (!Number.isInteger(first) || !Number.isInteger(n) || first < 0 || n < 0 || first + n > count) {
      throw new DataError(`${file}: samples ${first}…${first + n - 1} are outside 0…${count - 1}`);
    }
  };
  if (enc?.kind === 'random') {
    // Nothing on disk: the values are generated (dataset/random.ts), any chunk on its own.
    return {
      count,
      sampleShape,
      sampleSize,
      read(first, n, into) {
        check(first, n, `dataset ${ds.dir} (random)`);
        const out = output(n, into);
        randomValues(enc, first * sampleSize, out);
        return Promise.resolve(out);
      },
      close: () => Promise.resolve(),
    };
  }
  const file = path.join(ds.dir, enc ? PIXELS_FILE : INPUTS_FILE);
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (error) {
    throw new DataError(`prepared inputs ${file}: cannot open: ${(error as Error).message}`, { cause: error });
  }
  const readExactly = async (position: number, bytes: number, buf: Uint8Array = new Uint8Array(bytes)): Promise<Uint8Array> => {
    let got = 0;
    while (got < bytes) {
      const { bytesRead } = await fh.read(buf, got, bytes - got, position + got);
      if (bytesRead === 0) throw new DataError(`${file}: truncated (expected ${bytes} bytes at offset ${position})`);
      got += bytesRead;
    }
    return buf;
  };

  if (!enc) {
    const header = npyHeader(ds.shape).length;
    return {
      count,
      sampleShape,
      sampleSize,
      async read(first, n, into) {
        check(first, n, file);
        const out = output(n, into);
        await readExactly(header + first * sampleSize * 4, n * sampleSize * 4, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
        return out;
      },
      close: () => fh.close(),
    };
  }

  const table = lutOf(enc, sampleShape, file);
  const [c, h] = sampleShape as [number, number, number];
  const offsets = pixelOffsets(enc, c * h, count, file);
  // The compact pixels of the last chunk, reused by the next read (never by two reads at once).
  let scratch: Uint8Array | undefined;
  return {
    count,
    sampleShape,
    sampleSize,
    async read(first, n, into) {
      check(first, n, file);
      const start = offsets[first]!;
      const size = offsets[first + n]! - start;
      const reuse = scratch && scratch.length >= size ? scratch : undefined;
      scratch = undefined;
      const bytes = await readExactly(start, size, reuse?.subarray(0, size));
      const out = output(n, into);
      for (let k = 0; k < n; k++) {
        const at = offsets[first + k]! - start;
        const width = enc.widths[first + k]!;
        expandPixels(bytes.subarray(at, at + c * h * width), width, sampleShape, table, out, k * sampleSize);
      }
      scratch = reuse ?? bytes;
      return out;
    },
    close: () => fh.close(),
  };
}

/** Byte offset of each sample in pixels.bin (N + 1 entries: the last is the file's data size). */
export function pixelOffsets(enc: PixelEncoding, rowBytes: number, count: number, file: string): Float64Array {
  if (enc.widths.length !== count)
    throw new DataError(
      `${file}: the manifest lists ${counted(enc.widths.length, 'width', 'widths')} for ${counted(count, 'sample', 'samples')}`,
    );
  const offsets = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + rowBytes * enc.widths[i]!;
  return offsets;
}

function lutOf(enc: PixelEncoding, sampleShape: number[], file: string): PixelLut {
  const [c, , w] = sampleShape;
  if (sampleShape.length !== 3 || enc.lut.length !== c || !enc.lut.every((t) => t.length === 256)) {
    throw new DataError(`${file}: the manifest's lookup table must be [${c}][256] for samples of shape [${sampleShape.join(', ')}]`);
  }
  if (!enc.widths.every((x) => Number.isInteger(x) && x >= 1 && x <= w!)) {
    throw new DataError(`${file}: the manifest's widths must be integers 1…${w}`);
  }
  return { lut: enc.lut.map((t) => Float32Array.from(t)), pad: enc.pad };
}

/** The whole set as one float32 array (small sets and tests; runners stream with openSamples). */
export async function readAllSamples(ds: PreparedDataset): Promise<{ data: Float32Array; shape: number[] }> {
  const reader = await openSamples(ds);
  try {
    return { data: await reader.read(0, reader.count), shape: ds.shape };
  } finally {
    await reader.close();
  }
}

/**
 * `n` sample indices spread evenly over the set (all of them when the set is that small): the
 * representative subset that timing iterates over, so its memory does not grow with the set.
 */
export function spreadIndices(count: number, n: number): number[] {
  if (count <= n) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
}

/**
 * A float32 copy (inputs.npy + manifest, no encoding) of a compact dataset in `dir`, written in
 * chunks: for a user's own command (runner.command), whose documented input is PPG_DATASET's
 * inputs.npy. A float32 dataset is returned as it is.
 */
export async function float32Copy(ds: PreparedDataset, dir: string): Promise<PreparedDataset> {
  // A user's own command reads inputs.npy: random samples are written out for it too.
  if (!ds.encoding) return ds;
  await mkdir(dir, { recursive: true });
  const reader = await openSamples(ds);
  const fh = await open(path.join(dir, INPUTS_FILE), 'w');
  try {
    await fh.write(npyHeader(ds.shape));
    for (let first = 0; first < reader.count; first += 64) {
      const chunk = await reader.read(first, Math.min(64, reader.count - first));
      await fh.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } finally {
    await fh.close();
    await reader.close();
  }
  const { encoding: _encoding, dir: _dir, ...rest } = ds;
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify({ schema: DATASET_SCHEMA, ...rest }) + '\n');
  return { ...rest, dir: path.resolve(dir) };
}

/**
 * Samples [n, C, H, W] cut to their first `width` columns, [n, C, H, width]: a dynamic-width
 * sample (encoding.feed) as predict_rec.py feeds it — the columns past its own width are the
 * padding, so the cut keeps exactly its batch's padded tensor.
 */
export function narrowSamples(values: Float32Array, n: number, shape: readonly number[], width: number): Float32Array {
  const [c, h, w] = shape as [number, number, number];
  if (width === w) return values;
  const out = new Float32Array(n * c * h * width);
  for (let row = 0; row < n * c * h; row++) out.set(values.subarray(row * w, row * w + width), row * width);
  return out;
}
