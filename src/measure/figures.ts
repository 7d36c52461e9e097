/**
 * The data report.html draws for one model, taken from what the gate already has: this run's
 * document and metrics, the baseline as stored (its per-round latencies, per-sample correctness and
 * decoded predictions), the dataset's source images. Plain numbers, bounded in size; drawing is
 * report/html.ts's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { decodeImage } from '../dataset/image.js';
import { resizeBilinear } from '../dataset/preprocess.js';
import type { AccuracyFlip, Baseline, DatasetPlan, MemorySeries, ModelFigures, ModelMetrics, RunResult } from '../types.js';
import { windowPeaks } from './index.js';

/** At most this many memory samples per series are drawn (evenly thinned; the fit uses all). */
const MEMORY_POINTS = 400;
/** At most this many changed samples are listed, each with its image (a few kB each). */
const MAX_FLIPS = 40;
/** Thumbnails: at most this tall and this wide, never enlarged. */
const THUMB_HEIGHT = 32;
const THUMB_WIDTH = 240;

const ACCURACY_IDS = ['accuracy.line', 'accuracy.top1'];

export async function figuresOf(input: {
  run: RunResult;
  metrics: ModelMetrics;
  baseline?: Baseline;
  dataset: DatasetPlan;
}): Promise<ModelFigures> {
  const { run, metrics, baseline } = input;
  const rounds = (m: ModelMetrics | undefined) => m?.metrics.find((x) => x.id === 'latency.p50')?.rounds ?? null;
  const { flips, omitted } = accuracyFlips(metrics, baseline?.metrics);
  for (const flip of flips) {
    const image = await thumbnail(input.dataset, flip.id);
    if (image) flip.image = image;
  }
  return {
    model: metrics.model,
    latency: { head: rounds(metrics) ?? [], base: rounds(baseline?.metrics) },
    memory: { rss: series(run.memory.rss), gpu: run.memory.gpu ? series(run.memory.gpu) : null },
    flips,
    flipsOmitted: omitted,
  };
}

function series(s: { iteration: number[]; mb: number[] }): MemorySeries | null {
  const pairs = s.mb
    .map((mb, i) => [s.iteration[i] ?? Number.NaN, mb] as const)
    .filter(([it, mb]) => Number.isFinite(it) && Number.isFinite(mb));
  if (pairs.length === 0) return null;
  const step = Math.max(1, Math.ceil(pairs.length / MEMORY_POINTS));
  const shown = pairs.filter((_, i) => i % step === 0);
  return { iteration: shown.map(([it]) => it), mb: shown.map(([, mb]) => mb), peaks: pairs.length >= 9 ? windowPeaks(pairs) : [] };
}

/** Samples right in the baseline and wrong now ('broke'), then the reverse ('fixed'), in dataset order. */
function accuracyFlips(head: ModelMetrics, base: ModelMetrics | undefined): { flips: AccuracyFlip[]; omitted: number } {
  if (!base) return { flips: [], omitted: 0 };
  const metric = (m: ModelMetrics) => m.metrics.find((x) => ACCURACY_IDS.includes(x.id) && x.perSample);
  const now = metric(head)?.perSample;
  const before = base.metrics.find((x) => x.id === metric(head)?.id)?.perSample;
  if (!now || !before) return { flips: [], omitted: 0 };
  const okBefore = new Map(before.ids.map((id, i) => [id, before.ok[i]]));
  const decodedNow = new Map((head.decoded ?? []).map((d) => [d.id, d]));
  const decodedBefore = new Map((base.decoded ?? []).map((d) => [d.id, d]));
  const all: AccuracyFlip[] = [];
  now.ids.forEach((id, i) => {
    const was = okBefore.get(id);
    const is = now.ok[i];
    if (was === undefined || is === undefined || was === is) return;
    all.push({
      id,
      label: decodedNow.get(id)?.label ?? '',
      now: decodedNow.get(id)?.prediction ?? '',
      before: decodedBefore.get(id)?.prediction ?? '',
      kind: is === 0 ? 'broke' : 'fixed',
    });
  });
  const ordered = [...all.filter((f) => f.kind === 'broke'), ...all.filter((f) => f.kind === 'fixed')];
  return { flips: ordered.slice(0, MAX_FLIPS), omitted: Math.max(0, ordered.length - MAX_FLIPS) };
}

/** The sample's source image, downscaled, as a PNG data URL; undefined for NPY or random rows or an unreadable file. */
async function thumbnail(dataset: DatasetPlan, id: string): Promise<string | undefined> {
  if (dataset.format === 'npy' || dataset.format === 'random') return undefined;
  try {
    const img = decodeImage(await readFile(join(dataset.root, id)), id);
    const scale = Math.min(1, THUMB_HEIGHT / img.height, THUMB_WIDTH / img.width);
    const w = Math.max(1, Math.round(img.width * scale));
    const h = Math.max(1, Math.round(img.height * scale));
    const small = resizeBilinear(img, w, h);
    const png = encodePng({ width: w, height: h, data: small.data, channels: 3, depth: 8 });
    return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
  } catch {
    // A picture is a courtesy: the row is listed without it.
    return undefined;
  }
}
