import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import type { Image } from '../../src/dataset/image.js';
import {
  imagenetPreprocess,
  ppocrResizedWidth,
  ppocrResizeNorm,
  resizeBilinear,
  roundHalfEven,
  shortSideSize,
} from '../../src/dataset/preprocess.js';

/** An RGB image from rows of [r, g, b] pixels. */
function rgb(rows: Array<Array<[number, number, number]>>): Image {
  const height = rows.length;
  const width = rows[0]!.length;
  return { width, height, data: Uint8Array.from(rows.flat(2)) };
}
const channel = (img: Image, c: number) => Array.from({ length: img.width * img.height }, (_, i) => img.data[i * 3 + c]);
/** PaddleOCR's normalisation of one 8-bit value, by hand: (v/255 − 0.5)/0.5 = v/127.5 − 1. */
const n = (v: number) => v / 127.5 - 1;

describe('resizeBilinear (cv2.resize INTER_LINEAR, half-pixel centres)', () => {
  it('upscales 2×1 → 4×2: edge pixels clamp, inner ones weigh ¾/¼', () => {
    const out = resizeBilinear(
      rgb([
        [
          [0, 100, 40],
          [200, 100, 240],
        ],
      ]),
      4,
      2,
    );
    // dst x 0..3 → src x −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    expect(channel(out, 0)).toEqual([0, 50, 150, 200, 0, 50, 150, 200]);
    expect(channel(out, 1)).toEqual([100, 100, 100, 100, 100, 100, 100, 100]);
    expect(channel(out, 2)).toEqual([40, 90, 190, 240, 40, 90, 190, 240]);
  });

  it('upscales vertically the same way', () => {
    const out = resizeBilinear(rgb([[[0, 0, 0]], [[200, 1, 0]]]), 1, 4);
    expect(channel(out, 0)).toEqual([0, 50, 150, 200]);
    // ¼ of 1 rounds down, ¾ of 1 rounds up
    expect(channel(out, 1)).toEqual([0, 0, 1, 1]);
  });

  it('downscales 3×1 → 2×1 at source x 0.25 and 1.75', () => {
    const out = resizeBilinear(
      rgb([
        [
          [0, 0, 0],
          [100, 0, 0],
          [200, 0, 0],
        ],
      ]),
      2,
      1,
    );
    expect(channel(out, 0)).toEqual([25, 175]);
  });

  it('halves 2×2 → 1×1 as the rounded mean (OpenCV routes this to INTER_AREA: (a+b+c+d+2)>>2)', () => {
    const out = resizeBilinear(
      rgb([
        [
          [0, 10, 255],
          [1, 20, 255],
        ],
        [
          [1, 30, 255],
          [1, 41, 254],
        ],
      ]),
      1,
      1,
    );
    expect(Array.from(out.data)).toEqual([1, 25, 255]);
  });

  it('matches cv2.resize bit for bit (13×12 random RGB → 7×5, recorded from OpenCV 4.6)', () => {
    // The plain (S0·β0 + S1·β1 + 2^21) >> 22 rounding differs from this output in 11 of 105 values:
    // cv2 runs its SIMD vertical pass, which truncates before rounding.
    const src =
      '7IRjFUXdD7jjXShC7hVclNhZJRTuRMLtat4nW+Nn0x0/Q+3QHovtmKNYA/2poDK9G/kI3CWYmMx8GEc1eURj8rQyWZc7XhOli73AtcbgRqpqYkW+rEWmBJ2XCW6fhV95IXiOgbW9pJnhMwxYmr3dLM2bRNgP6Slqq3TPh+YjOC9Qd9DWB2SdwJDx0VzpOyxtYFJ90cBx7T59K1cfaJY8DjN0TnJrflP4N+YkzW9TTxr41J67mLjXIPVV25M6QNLY9F7VX5xWsQNRYoX531Cx+z20e3MX6DUOLFLSleR6gHJI0Ori28qnG9NNooWtAKKYjVl06b62G2yA3cz+5jKpkMBvJV6lsOr2sWPOZr/8/igRxBgmdftP2fqIah6g2CUlRM7Kwwrfs/SYWb+RT720DwPHx8/SZGFAj0R3F0vqEFs8IiI3VoMbradxkKMNQ7ctWw+MCxsbtO1EDMTCYuJHYMIZp2WghilVpE9duD2cuisyByXduHsLT+VQBn/HDEp6GS3dB1qrQo6iDBwdlPZv7rBn/iaAwFxchWeBFQqdSFyzC0MrWtTDb0oS/e4Rfw2/cFG5pTQ/0xs9uc5CoZsb8mVE3EHs2+rXyTWxEIYoWqCDjpJZ';
    const cv2 =
      'aayDYHaW1jmDHDdsu7Q8dkF1gL7WwE2Pbqo6ZMO9tYTyWECHsKJvglNVb3Z8lna1kF+Y5zRcXZ6StanIlZx1YkydJlZDbIEplZQiWTeAeqVGRc58Qk6Cr6tf4lxopmZvb3e8RJiCqqMs';
    const img = { width: 13, height: 12, data: new Uint8Array(Buffer.from(src, 'base64')) };
    expect(Buffer.from(resizeBilinear(img, 7, 5).data).toString('base64')).toBe(cv2);
  });

  it('leaves a same-size image unchanged', () => {
    const img = rgb([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [7, 8, 9],
        [10, 11, 12],
      ],
    ]);
    expect(Array.from(resizeBilinear(img, 2, 2).data)).toEqual(Array.from(img.data));
  });
});

describe('ppocrResizeNorm (PaddleOCR resize_norm_img)', () => {
  it.each([
    // [w, h, imgH, imgW, resized width]
    [100, 32, 48, 320, 150],
    [1000, 32, 48, 320, 320], // too wide: squeezed to imgW
    [10, 48, 48, 320, 10],
    [33, 10, 48, 320, 159], // ceil(158.4)
    [1, 1, 48, 320, 48],
    [7, 3, 48, 320, 112], // 48 · (7/3) is exactly 112 in doubles, as in Python
    [300, 40, 48, 192, 192],
  ])('%i×%i into %i×%i → resized width %i', (w, h, imgH, imgW, expected) => {
    expect(ppocrResizedWidth(w, h, imgH, imgW)).toBe(expected);
  });

  it('feeds BGR, normalises to [−1, 1] and pads the right with zeros', () => {
    const img = rgb([
      [
        [0, 100, 40],
        [200, 100, 240],
      ],
    ]);
    const out = ppocrResizeNorm(img, [3, 2, 8]); // ratio 2 → resized 4×2, padded to 8
    const plane = (c: number) => Array.from(out.subarray(c * 16, (c + 1) * 16));
    const row = (vals: number[]) => [...vals.map(n), 0, 0, 0, 0];
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
    close(plane(0), [...row([40, 90, 190, 240]), ...row([40, 90, 190, 240])]); // blue first
    close(plane(1), [...row([100, 100, 100, 100]), ...row([100, 100, 100, 100])]);
    close(plane(2), [...row([0, 50, 150, 200]), ...row([0, 50, 150, 200])]);
    expect(out.length).toBe(3 * 2 * 8);
  });

  it('maps black to −1 and white to +1', () => {
    const out = ppocrResizeNorm(
      rgb([
        [
          [0, 0, 0],
          [255, 255, 255],
        ],
      ]),
      [3, 1, 2],
    );
    expect(Array.from(out)).toEqual([-1, 1, -1, 1, -1, 1]);
  });

  it('feeds grey levels for a 1-channel shape', () => {
    const out = ppocrResizeNorm(
      rgb([
        [
          [255, 0, 0],
          [0, 255, 0],
        ],
      ]),
      [1, 1, 2],
    );
    // OpenCV grey: (R·4899 + G·9617 + B·1868 + 8192) >> 14 → 76 and 150
    expect(out[0]).toBeCloseTo(n(76), 6);
    expect(out[1]).toBeCloseTo(n(150), 6);
  });
});

describe('imagenetPreprocess (PaddleClas)', () => {
  it.each([
    [500, 375, 256, [341, 256]],
    [375, 500, 256, [256, 341]],
    [224, 224, 256, [256, 256]],
    [5, 2, 1, [2, 1]], // round(2.5) = 2: Python rounds halves to even
    [7, 2, 1, [4, 1]], // round(3.5) = 4
  ])('short side of %i×%i to %i → %j', (w, h, short, expected) => {
    expect(shortSideSize(w, h, short)).toEqual(expected);
  });

  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });

  it('normalises RGB with ImageNet mean and std, channels first', () => {
    const px: [number, number, number] = [128, 64, 255];
    const img = rgb(Array.from({ length: 200 }, () => Array.from({ length: 300 }, () => px)));
    const out = imagenetPreprocess(img, 256, 224);
    expect(out.length).toBe(3 * 224 * 224);
    const expected = [(128 / 255 - 0.485) / 0.229, (64 / 255 - 0.456) / 0.224, (255 / 255 - 0.406) / 0.225];
    for (let c = 0; c < 3; c++) {
      expect(out[c * 224 * 224]).toBeCloseTo(expected[c]!, 5);
      expect(out[c * 224 * 224 + 224 * 224 - 1]).toBeCloseTo(expected[c]!, 5);
    }
  });

  it('crops the centre: start = (size − crop) // 2', () => {
    // 6×4, short side already 4: no resize; crop 2 starts at x = 2, y = 1.
    const img = rgb(
      Array.from({ length: 4 }, (_, y) => Array.from({ length: 6 }, (_, x) => [x * 10 + y, 0, 0] as [number, number, number])),
    );
    const out = imagenetPreprocess(img, 4, 2);
    const r = Array.from(out.subarray(0, 4)).map((v) => Math.round((v * 0.229 + 0.485) * 255));
    expect(r).toEqual([21, 31, 22, 32]);
  });

  it('refuses a crop larger than the resized image', () => {
    expect(() => imagenetPreprocess(rgb([[[0, 0, 0]]]), 4, 8)).toThrow(DataError);
  });
});
