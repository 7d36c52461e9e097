/**
 * The prepared dataset: what every runner feeds. Images are decoded and preprocessed once in
 * TypeScript (dataset/prepare.ts), written as one float32 NPY array plus a manifest, and cached
 * by content hash, so no harness carries preprocessing and the docker and embedded runners see
 * byte-identical inputs.
 *
 * On disk (`dir`), one of two encodings:
 *   inputs.npy     float32, C order, shape [N, C, H, W]                 (encoding absent: NPY datasets)
 *   pixels.bin     8-bit pixels, sample i = C × H × widths[i] bytes     (encoding u8-lut: image sets)
 *   manifest.json  { schema: 'paddle-perf-gate/dataset@1', hash, shape, ids, labels, classNames?, dictionary?, encoding? }
 * The u8-lut form keeps a quarter of the bytes (less for narrow text lines): a sample's tensor is
 * rebuilt when fed, value = lut[channel][byte], columns from widths[i] on = pad (dataset/samples.ts,
 * and the same rule in harness/bench.py), bit-identical to preprocessing straight to float32.
 */
export const DATASET_SCHEMA = 'paddle-perf-gate/dataset@1' as const;

export interface PreparedDataset {
  /** Directory holding inputs.npy and manifest.json (mounted read-only into containers). */
  dir: string;
  /** sha256 over the source files and the preprocessing settings: the cache key. */
  hash: string;
  /** [N, C, H, W]. */
  shape: number[];
  /** Sample ids (image paths relative to the dataset root, or `#i` for NPY rows). */
  ids: string[];
  /** Ground truth per sample: text for OCR, class index as a string for classification; null when unlabelled. */
  labels: Array<string | null>;
  /** Classification: class names by index (e.g. ['0', '180']). */
  classNames?: string[];
  /** OCR: the dictionary's characters in order (index 1 = first line); blank (0) and space are added by the decoder. */
  dictionary?: string[];
  /** How the samples are stored; absent = float32 inputs.npy. */
  encoding?: PixelEncoding;
}

export interface PixelEncoding {
  kind: 'u8-lut';
  /** Valid columns of each sample (≤ W); the rest of a row is `pad`. */
  widths: number[];
  /** [C][256] float32 values: the normalised value of each channel's 8-bit level. */
  lut: number[][];
  pad: number;
}

export const INPUTS_FILE = 'inputs.npy';
export const PIXELS_FILE = 'pixels.bin';
export const MANIFEST_FILE = 'manifest.json';
