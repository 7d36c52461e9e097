/**
 * Image → float32 CHW tensors, the way PaddleOCR and PaddleClas inference does it. Pure
 * functions of pixels; decoding lives in image.ts.
 */
import { DataError } from '../errors.js';
import type { Preprocess } from '../types.js';
import type { Image } from './image.js';

export type { Image } from './image.js';

// ───────────────────────────── bilinear resize (cv2.resize INTER_LINEAR, 8-bit) ─────────────────────────────

/**
 * OpenCV's INTER_LINEAR for 8-bit images (imgproc/src/resize.cpp), bit-exact with cv2 4.6 on
 * x86 (checked against Debian's python3-opencv on random images of many sizes):
 *  - source coordinate of a destination pixel: f = (d + 0.5) · scale − 0.5 (half-pixel
 *    centres), computed in float32;
 *  - horizontally, a coordinate left of 0 or at/after the last pixel is clamped with weight 0;
 *    vertically the rows are clamped to [0, h − 1] and keep their weights;
 *  - weights are fixed-point, 11 bits (INTER_RESIZE_COEF_BITS), rounded to nearest even;
 *  - the vertical pass is the SIMD one (VResizeLinearVec_32s8u), which is what runs:
 *    ((S0 >> 4) · β0 >> 16) + ((S1 >> 4) · β1 >> 16), then (+2) >> 2, saturated to 0..255.
 * An exact 2× downscale, which OpenCV routes to INTER_AREA, gives the same (a+b+c+d+2)>>2.
 */
export function resizeBilinear(img: Image, dstW: number, dstH: number): Image {
  const { width: srcW, height: srcH, data } = img;
  if (dstW === srcW && dstH === srcH) return { width: srcW, height: srcH, data: data.slice() };
  const xs = axisWeights(srcW, dstW, true);
  const ys = axisWeights(srcH, dstH, false);

  // Horizontal pass on every source row that is used, values scaled by 2^11.
  const rowCache = new Map<number, Int32Array>();
  const hRow = (sy: number): Int32Array => {
    let row = rowCache.get(sy);
    if (row) return row;
    row = new Int32Array(dstW * 3);
    const base = sy * srcW * 3;
    for (let dx = 0; dx < dstW; dx++) {
      const sx = xs.index[dx]!;
      const a0 = xs.w0[dx]!;
      const a1 = xs.w1[dx]!;
      const sx1 = Math.min(sx + 1, srcW - 1);
      for (let c = 0; c < 3; c++) {
        row[dx * 3 + c] = data[base + sx * 3 + c]! * a0 + data[base + sx1 * 3 + c]! * a1;
      }
    }
    rowCache.set(sy, row);
    return row;
  };

  const out = new Uint8Array(dstW * dstH * 3);
  for (let dy = 0; dy < dstH; dy++) {
    const sy = ys.index[dy]!;
    const r0 = hRow(clamp(sy, 0, srcH - 1));
    const r1 = hRow(clamp(sy + 1, 0, srcH - 1));
    const b0 = ys.w0[dy]!;
    const b1 = ys.w1[dy]!;
    const o = dy * dstW * 3;
    // Horizontal sums are at most 255·2048, so (S >> 4) fits the int16 lanes OpenCV uses.
    for (let i = 0; i < dstW * 3; i++) {
      const v = (((r0[i]! >> 4) * b0) >> 16) + (((r1[i]! >> 4) * b1) >> 16);
      const q = (v + 2) >> 2;
      out[o + i] = q < 0 ? 0 : q > 255 ? 255 : q;
    }
  }
  return { width: dstW, height: dstH, data: out };
}

interface AxisWeights {
  index: Int32Array;
  w0: Int32Array;
  w1: Int32Array;
}

function axisWeights(src: number, dst: number, clampWeights: boolean): AxisWeights {
  // OpenCV: inv_scale = dst / src, scale = 1 / inv_scale (not src / dst: the last bit can differ).
  const scale = 1 / (dst / src);
  const index = new Int32Array(dst);
  const w0 = new Int32Array(dst);
  const w1 = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampWeights) {
      if (s < 0) {
        s = 0;
        f = 0;
      }
      if (s >= src - 1) {
        s = src - 1;
        f = 0;
      }
    }
    index[d] = s;
    w0[d] = roundHalfEven(Math.fround(1 - f) * 2048);
    w1[d] = roundHalfEven(Math.fround(f) * 2048);
  }
  return { index, w0, w1 };
}

/** cvRound / Python 3 round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

// ───────────────────────────── PaddleOCR recognition / direction classifier ─────────────────────────────

/** The resized width PaddleOCR uses: min(imgW, ceil(imgH · w / h)). */
export function ppocrResizedWidth(width: number, height: number, imgH: number, imgW: number): number {
  const ratio = width / height;
  const w = Math.ceil(imgH * ratio);
  return w > imgW ? imgW : w;
}

/**
 * PaddleOCR tools/infer/predict_rec.py `TextRecognizer.resize_norm_img` (and predict_cls.py's
 * `TextClassifier.resize_norm_img`, the same rule for the 3×48×192 direction classifier):
 *  - the image is what cv2.imread gave, BGR, and is fed in BGR order (no channel swap);
 *  - ratio = w / h; resized_w = imgW if ceil(imgH · ratio) > imgW else ceil(imgH · ratio);
 *  - cv2.resize(img, (resized_w, imgH)) with the default INTER_LINEAR;
 *  - HWC → CHW, / 255, − 0.5, / 0.5;
 *  - zero-padded on the right to imgW (padding_im = np.zeros, so padding is 0.0, mid-grey).
 * Which PaddleOCR path this is: imgW is FIXED here (gate.yml preprocess.shape, default 320), which
 * is PaddleOCR's *eval* path (ppocr/data/imaug/rec_img_aug.py resize_norm_img with the configured
 * image shape: every line squeezed to at most imgW columns). predict_rec.py, the *inference*
 * path, instead widens imgW to int(imgH · max w/h ratio) of each width-sorted batch of
 * rec_batch_num (6) lines; the two agree only for batches whose lines all fit imgW (or an ONNX
 * model of fixed width). gate.yml `width: dynamic` follows predict_rec.py: dataset/prepare.ts
 * (prepareDynamicRec) builds its batches and calls this rule with each batch's imgW.
 * A 1-channel shape feeds the grey level, as cv2.imread(path, IMREAD_GRAYSCALE) would give it.
 */
export function ppocrResizeNorm(img: Image, shape: [number, number, number]): Float32Array {
  const [c, h, w] = shape;
  if (c !== 3 && c !== 1) throw new DataError(`ppocr preprocessing: shape [${shape.join(', ')}] must have 1 or 3 channels`);
  const rw = ppocrResizedWidth(img.width, img.height, h, w);
  const resized = resizeBilinear(img, rw, h);
  const out = new Float32Array(c * h * w); // zeros = the padding
  const plane = h * w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < rw; x++) {
      const p = (y * rw + x) * 3;
      const o = y * w + x;
      if (c === 3) {
        // BGR order: channel 0 is blue.
        out[o] = norm(resized.data[p + 2]!);
        out[plane + o] = norm(resized.data[p + 1]!);
        out[2 * plane + o] = norm(resized.data[p]!);
      } else {
        out[o] = norm(greyBt601(resized.data[p]!, resized.data[p + 1]!, resized.data[p + 2]!));
      }
    }
  }
  return out;
}

function norm(v: number): number {
  // Same float32 steps as numpy: v/255, −0.5, /0.5.
  return Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5);
}

/** OpenCV's 8-bit RGB→grey: BT.601 weights in 14-bit fixed point (color.hpp, R2Y 4899, G2Y 9617, B2Y 1868). */
function greyBt601(r: number, g: number, b: number): number {
  return (r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14;
}

// ───────────────────────────── PaddleClas (ImageNet) ─────────────────────────────

/**
 * PaddleClas deploy/python/preprocess.py ResizeImage(resize_short): percent = short / min(w, h);
 * w' = int(round(w · percent)), h' = int(round(h · percent)) with Python's round (half to even).
 */
export function shortSideSize(width: number, height: number, resizeShort: number): [number, number] {
  const percent = resizeShort / Math.min(width, height);
  return [roundHalfEven(width * percent), roundHalfEven(height * percent)];
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/**
 * PaddleClas inference preprocessing (deploy/configs, deploy/python/preprocess.py):
 *  - DecodeImage(to_rgb=True): cv2 BGR → RGB, so channels are fed R, G, B;
 *  - ResizeImage(resize_short=256) with cv2 INTER_LINEAR (UnifiedResize's default);
 *  - CropImage(224): w_start = (w − 224) // 2, h_start = (h − 224) // 2;
 *  - NormalizeImage: (x · (1/255) − mean) / std in float32, mean [0.485, 0.456, 0.406],
 *    std [0.229, 0.224, 0.225];
 *  - ToCHWImage.
 */
export function imagenetPreprocess(img: Image, resizeShort: number, crop: number): Float32Array {
  const [rw, rh] = shortSideSize(img.width, img.height, resizeShort);
  if (rw < crop || rh < crop) {
    throw new DataError(`imagenet preprocessing: resized image ${rw}×${rh} is smaller than the crop ${crop}×${crop}`);
  }
  const resized = resizeBilinear(img, rw, rh);
  const x0 = Math.floor((rw - crop) / 2);
  const y0 = Math.floor((rh - crop) / 2);
  const plane = crop * crop;
  const out = new Float32Array(3 * plane);
  const scale = Math.fround(1 / 255);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(IMAGENET_MEAN[c]!);
    const std = Math.fround(IMAGENET_STD[c]!);
    for (let y = 0; y < crop; y++) {
      for (let x = 0; x < crop; x++) {
        const v = resized.data[((y0 + y) * rw + x0 + x) * 3 + c]!;
        out[c * plane + y * crop + x] = Math.fround(Math.fround(Math.fround(v * scale) - mean) / std);
      }
    }
  }
  return out;
}

// ───────────────────────────── dispatch ─────────────────────────────

/** The CHW shape a preprocessing step produces. */
export function preprocessShape(p: Preprocess): [number, number, number] {
  switch (p.kind) {
    case 'ppocr-rec':
    case 'ppocr-cls':
      return p.shape;
    case 'imagenet':
      return [3, p.crop, p.crop];
  }
}

export function preprocessImage(img: Image, p: Preprocess): Float32Array {
  switch (p.kind) {
    case 'ppocr-rec':
    case 'ppocr-cls':
      return ppocrResizeNorm(img, p.shape);
    case 'imagenet':
      return imagenetPreprocess(img, p.resizeShort, p.crop);
  }
}

// ───────────────────────────── compact form: 8-bit pixels + a lookup table ─────────────────────────────

/**
 * A sample as the compact cache keeps it: the resized (and, for ImageNet, cropped) 8-bit pixels
 * in the order the model is fed (CHW, channels already swapped or greyed), `width` valid columns
 * of each row. The float32 tensor is rebuilt by `pixelLut` (one float per channel and level: the
 * exact float32 steps of the normalisation above) with the columns at and after `width` set to
 * `pad`, so a rebuilt tensor is bit-identical to `preprocessImage`'s.
 */
export interface Pixels {
  /** C × H × width bytes. */
  data: Uint8Array;
  width: number;
}

export interface PixelLut {
  /** [C][256] float32 values. */
  lut: Float32Array[];
  /** The value of a column at or after a sample's width (PaddleOCR's zero padding). */
  pad: number;
}

export function preprocessPixels(img: Image, p: Preprocess): Pixels {
  if (p.kind === 'imagenet') {
    const [rw, rh] = shortSideSize(img.width, img.height, p.resizeShort);
    const crop = p.crop;
    if (rw < crop || rh < crop) {
      throw new DataError(`imagenet preprocessing: resized image ${rw}×${rh} is smaller than the crop ${crop}×${crop}`);
    }
    const resized = resizeBilinear(img, rw, rh);
    const x0 = Math.floor((rw - crop) / 2);
    const y0 = Math.floor((rh - crop) / 2);
    const plane = crop * crop;
    const out = new Uint8Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < crop; y++) {
        for (let x = 0; x < crop; x++) out[c * plane + y * crop + x] = resized.data[((y0 + y) * rw + x0 + x) * 3 + c]!;
      }
    }
    return { data: out, width: crop };
  }
  const [c, h, w] = p.shape;
  if (c !== 3 && c !== 1) throw new DataError(`ppocr preprocessing: shape [${p.shape.join(', ')}] must have 1 or 3 channels`);
  const rw = ppocrResizedWidth(img.width, img.height, h, w);
  const resized = resizeBilinear(img, rw, h);
  const out = new Uint8Array(c * h * rw);
  const plane = h * rw;
  for (let i = 0; i < plane; i++) {
    const p3 = i * 3;
    if (c === 3) {
      // BGR order, as ppocrResizeNorm feeds it.
      out[i] = resized.data[p3 + 2]!;
      out[plane + i] = resized.data[p3 + 1]!;
      out[2 * plane + i] = resized.data[p3]!;
    } else {
      out[i] = greyBt601(resized.data[p3]!, resized.data[p3 + 1]!, resized.data[p3 + 2]!);
    }
  }
  return { data: out, width: rw };
}

export function pixelLut(p: Preprocess): PixelLut {
  const [c] = preprocessShape(p);
  const lut: Float32Array[] = [];
  for (let ch = 0; ch < c; ch++) {
    const table = new Float32Array(256);
    if (p.kind === 'imagenet') {
      const scale = Math.fround(1 / 255);
      const mean = Math.fround(IMAGENET_MEAN[ch]!);
      const std = Math.fround(IMAGENET_STD[ch]!);
      for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(Math.fround(v * scale) - mean) / std);
    } else {
      for (let v = 0; v < 256; v++) table[v] = norm(v);
    }
    lut.push(table);
  }
  return { lut, pad: 0 };
}

/** Rebuilds the float32 CHW tensor of one compact sample into `out` (C × H × W values from `offset`). */
export function expandPixels(
  data: Uint8Array,
  width: number,
  shape: readonly number[],
  table: PixelLut,
  out: Float32Array,
  offset = 0,
): void {
  const [c, h, w] = shape as [number, number, number];
  for (let ch = 0; ch < c; ch++) {
    const lut = table.lut[ch]!;
    for (let y = 0; y < h; y++) {
      const src = (ch * h + y) * width;
      const dst = offset + (ch * h + y) * w;
      for (let x = 0; x < width; x++) out[dst + x] = lut[data[src + x]!]!;
      if (width < w) out.fill(table.pad, dst + width, dst + w);
    }
  }
}
