/**
 * Image decoding to 8-bit RGB, matching what `cv2.imread(path)` / `cv2.imdecode(buf, 1)`
 * (IMREAD_COLOR) gives PaddleOCR and PaddleClas, channel order aside:
 *   - grey is replicated to three channels (libpng png_set_gray_to_rgb);
 *   - alpha is dropped, not composited (OpenCV strips it for IMREAD_COLOR);
 *   - 16-bit samples keep their high byte (OpenCV converts 16→8 bit by >> 8);
 *   - palette and 1/2/4-bit grey are expanded (png_set_expand / expand_gray_1_2_4_to_8).
 * PNG decoding is exact. JPEG goes through jpeg-js (pure JS), whose IDCT and chroma
 * upsampling differ from the libjpeg-turbo inside cv2: on a 4:2:0, quality-90 test image the
 * pixels differed by 4 levels on average (26 at most, at colour edges), so JPEG datasets are
 * close to, not identical with, what Paddle's Python tools feed.
 */
import { decode as decodePngRaw } from 'fast-png';
import jpeg from 'jpeg-js';
import { DataError } from '../errors.js';
import { counted } from '../plural.js';

/** 8-bit RGB, row-major, interleaved (data.length = width * height * 3). */
export interface Image {
  width: number;
  height: number;
  data: Uint8Array;
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Decodes PNG or JPEG by content (not by file extension); `file` names the image in errors. */
export function decodeImage(bytes: Uint8Array, file: string): Image {
  let img: Image;
  try {
    if (isPng(bytes)) img = decodePng(bytes);
    else if (isJpeg(bytes)) img = decodeJpeg(bytes);
    else throw new Error('not a PNG or JPEG file (unknown signature)');
  } catch (error) {
    throw new DataError(`${file}: cannot decode image: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (img.width < 1 || img.height < 1) throw new DataError(`${file}: image is empty (${img.width}×${img.height})`);
  return img;
}

function decodePng(bytes: Uint8Array): Image {
  const png = decodePngRaw(bytes);
  const { width, height, depth, channels } = png;
  const out = new Uint8Array(width * height * 3);
  if (png.palette) {
    const idx = unpackRows(png.data as Uint8Array, width, height, depth);
    for (let i = 0; i < idx.length; i++) {
      const colour = png.palette[idx[i]!];
      if (!colour) throw new Error(`palette index ${idx[i]} out of range (${counted(png.palette.length, 'colour', 'colours')})`);
      out[i * 3] = colour[0]!;
      out[i * 3 + 1] = colour[1]!;
      out[i * 3 + 2] = colour[2]!;
    }
    return { width, height, data: out };
  }
  let samples: ArrayLike<number>;
  if (depth < 8) {
    // Only grey can have 1/2/4-bit samples; scale to 0..255 as libpng does.
    const raw = unpackRows(png.data as Uint8Array, width, height, depth);
    const scale = 255 / ((1 << depth) - 1);
    samples = Uint8Array.from(raw, (v) => Math.round(v * scale));
  } else if (depth === 16) {
    samples = Uint8Array.from(png.data as Uint16Array, (v) => v >> 8);
  } else {
    samples = png.data;
  }
  const n = width * height;
  if (channels === 1 || channels === 2) {
    for (let i = 0; i < n; i++) {
      const g = samples[i * channels]!;
      out[i * 3] = g;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = g;
    }
  } else if (channels === 3 || channels === 4) {
    for (let i = 0; i < n; i++) {
      out[i * 3] = samples[i * channels]!;
      out[i * 3 + 1] = samples[i * channels + 1]!;
      out[i * 3 + 2] = samples[i * channels + 2]!;
    }
  } else {
    throw new Error(`unsupported PNG channel count ${channels}`);
  }
  return { width, height, data: out };
}

/** Sub-byte samples, each row starting on a byte boundary (PNG scanline packing). */
function unpackRows(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  if (depth === 8) return data;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)]!;
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function decodeJpeg(bytes: Uint8Array): Image {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
  return { width: img.width, height: img.height, data: img.data };
}
