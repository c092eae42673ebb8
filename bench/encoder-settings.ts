/**
 * Encoder-settings benchmark: measures AVIF, WebP and JPEG settings on product-spin-like frames so
 * that the pipeline's encoder defaults are chosen by measurement rather than folklore.
 *
 * Frames:
 *  - the real bike spin (`$XOAY_TEST_DATA/spin/bike-34`, default `../shared/data`; 480×327 on
 *    white), upscaled with lanczos3 to 1024 px wide and centred on a pure white 1024×1024 square —
 *    what the pipeline outputs;
 *  - if present, the rendered stool turntable (`samples/stool-turntable/*.jpg`, grey backdrop),
 *    resized to 1024 px wide.
 * `--frames` (default 8) evenly spaced frames are taken from each set.
 *
 * For every candidate setting and frame: encode the raw reference with sharp, decode it back, and
 * record luma SSIM against the reference (pipeline/core/ssim.ts), the bytes and the encode time
 * (wall clock, best of `--repeat` encodes, and CPU time). Two diagnostics go with it: the worst
 * per-channel R/G/B SSIM (luma SSIM cannot see chroma subsampling; this can) and the worst 128-px
 * tile of the SSIM map (a frame mean over a mostly flat backdrop hides damage on the product; the
 * worst tile does not).
 *
 * Recommendation, per format and per rule: the cheapest setting (mean bytes) that passes the rule;
 * for AVIF, prefer a setting whose encode CPU time is within 2× of WebP effort 4 unless a slower one
 * saves ≥ 20 % bytes. Rules:
 *  - "frame": the minimum over frames of the frame's mean luma SSIM is ≥ 0.98;
 *  - "tile": the minimum over frames of the worst 128-px tile's mean luma SSIM is ≥ 0.98;
 *  - "parity": worst-tile SSIM at least JPEG q85's (as good as JPEG q85 where it matters most).
 *
 * Usage: npx tsc -p tsconfig.build.json && node dist/bench/encoder-settings.js [--frames 8] [--repeat 2]
 * Writes the report to stdout (progress goes to stderr) and to bench/results/encoder-settings.md.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type AvifOptions, type JpegOptions, type Sharp, type WebpOptions } from 'sharp';
import { luma, SSIM_WINDOW, ssimLuma } from './ssim.js';

/** SSIM every frame (or every frame's worst tile) must reach for a setting to be recommendable. */
const SSIM_THRESHOLD = 0.98;
/** AVIF encode time allowed relative to WebP effort 4 before bytes must justify it. */
const AVIF_TIME_FACTOR = 2;
/** Bytes saving that justifies a slower AVIF setting. */
const AVIF_SLOW_GAIN = 0.2;
/** Target for the chosen AVIF setting, as a share of JPEG q85 bytes. */
const AVIF_TARGET_VS_JPEG = 0.35;
/** Side of the square output frame. */
const FRAME_SIZE = 1024;
/** libvips threads per operation; frames are encoded one after another, so this is the encode's parallelism. */
const CONCURRENCY = 2;
/** Side of the square tiles of the SSIM map for the worst-tile diagnostic. */
const TILE = 128;

const JPEG_Q = [70, 75, 80, 85, 90];
const WEBP_Q = [60, 70, 75, 80, 85, 90];
const WEBP_EFFORT = [2, 4];
const AVIF_Q = [35, 40, 45, 50, 55, 60, 65];
const AVIF_EFFORT = [0, 1, 2, 3, 4];

type Format = 'jpeg' | 'webp' | 'avif';

interface Candidate {
  format: Format;
  /** Short label for the tables, e.g. "q75 e4 4:2:0". */
  label: string;
  /** The exact sharp options passed to `.jpeg()`, `.webp()` or `.avif()`. */
  options: JpegOptions | WebpOptions | AvifOptions;
}

interface Frame {
  set: string;
  name: string;
  width: number;
  height: number;
  /** Raw interleaved RGB reference. */
  rgb: Buffer;
  /** Luma plane of the reference (computed once). */
  y: Float32Array;
  /** R, G and B planes of the reference (computed once), for the per-channel SSIM. */
  planes: Float32Array[];
}

/** Per-frame measurements of one candidate, in frame order. */
interface Result {
  candidate: Candidate;
  set: string[];
  ssim: number[];
  channelSsim: number[];
  tileSsim: number[];
  bytes: number[];
  /** Wall-clock encode time, best of the repeats. */
  ms: number[];
  /** Process CPU time of one encode (all threads), best of the repeats. */
  cpuMs: number[];
}

interface Summary {
  result: Result;
  medianSsim: number;
  minSsim: number;
  minChannelSsim: number;
  minTileSsim: number;
  meanBytes: number;
  /** Median over frames of the wall-clock encode time. */
  medianMs: number;
  medianCpuMs: number;
}

interface Rule {
  id: 'frame' | 'tile' | 'parity';
  title: string;
  passes: (s: Summary) => boolean;
}

/** The acceptance rules; "parity" needs the JPEG q85 baseline. */
function makeRules(jpegQ85: Summary): Rule[] {
  const parity = jpegQ85.minTileSsim;
  return [
    { id: 'frame', title: `min over frames of frame SSIM ≥ ${SSIM_THRESHOLD}`, passes: (s) => s.minSsim >= SSIM_THRESHOLD },
    { id: 'tile', title: `min over frames of worst ${TILE}px-tile SSIM ≥ ${SSIM_THRESHOLD}`, passes: (s) => s.minTileSsim >= SSIM_THRESHOLD },
    {
      id: 'parity',
      title: `min over frames of worst ${TILE}px-tile SSIM ≥ JPEG q85's (${parity.toFixed(4)})`,
      passes: (s) => s.minTileSsim >= parity,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Paths and frames

/** The project root: the nearest folder above this file that holds package.json. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('encoder-settings: cannot find the project root (package.json)');
    dir = up;
  }
  return dir;
}

/** `count` evenly spaced items of `items`. */
function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

function planesOf(rgb: Buffer, n: number): Float32Array[] {
  const planes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    planes[0]![i] = rgb[j]!;
    planes[1]![i] = rgb[j + 1]!;
    planes[2]![i] = rgb[j + 2]!;
  }
  return planes;
}

async function toFrame(set: string, file: string, pipeline: Sharp): Promise<Frame> {
  const { data, info } = await pipeline.flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const img = { data, width: info.width, height: info.height, channels: info.channels };
  return {
    set,
    name: path.basename(file),
    width: info.width,
    height: info.height,
    rgb: data,
    y: luma(img),
    planes: planesOf(data, info.width * info.height),
  };
}

async function loadFrames(root: string, perSet: number): Promise<{ frames: Frame[]; notes: string[] }> {
  const notes: string[] = [];
  const frames: Frame[] = [];
  const dataDir = path.resolve(root, process.env.XOAY_TEST_DATA ?? '../shared/data');
  const bikeDir = path.join(dataDir, 'spin/bike-34');
  if (existsSync(bikeDir)) {
    const files = readdirSync(bikeDir)
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort();
    for (const f of spread(files, perSet)) {
      const file = path.join(bikeDir, f);
      // Upscale to 1024 wide (lanczos3) and centre on a pure white 1024×1024 square.
      const p = sharp(file).resize({
        width: FRAME_SIZE,
        height: FRAME_SIZE,
        fit: 'contain',
        kernel: 'lanczos3',
        background: '#ffffff',
      });
      frames.push(await toFrame('bike (white, square)', file, p));
    }
    notes.push(
      `bike-34: ${Math.min(perSet, files.length)} of ${files.length} frames from ${path.relative(root, bikeDir)}, upscaled to ${FRAME_SIZE} wide on a white ${FRAME_SIZE}×${FRAME_SIZE} square`,
    );
  } else {
    notes.push(`bike-34: not found at ${path.relative(root, bikeDir)} (set XOAY_TEST_DATA)`);
  }
  const stoolDir = path.join(root, 'samples/stool-turntable');
  const stoolFiles = existsSync(stoolDir)
    ? readdirSync(stoolDir)
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
    : [];
  if (stoolFiles.length > 0) {
    for (const f of spread(stoolFiles, perSet)) {
      const file = path.join(stoolDir, f);
      frames.push(await toFrame('stool (grey backdrop)', file, sharp(file).resize({ width: FRAME_SIZE, kernel: 'lanczos3' })));
    }
    notes.push(
      `stool-turntable: ${Math.min(perSet, stoolFiles.length)} of ${stoolFiles.length} frames from samples/stool-turntable, resized to ${FRAME_SIZE} wide`,
    );
  } else {
    notes.push('stool-turntable: no frames in samples/stool-turntable (skipped)');
  }
  if (frames.length === 0) throw new Error('encoder-settings: no input frames found');
  return { frames, notes };
}

// ---------------------------------------------------------------------------------------------
// Measuring

function encoder(c: Candidate, f: Frame): Sharp {
  const p = sharp(f.rgb, { raw: { width: f.width, height: f.height, channels: 3 } });
  switch (c.format) {
    case 'jpeg':
      return p.jpeg(c.options as JpegOptions);
    case 'webp':
      return p.webp(c.options as WebpOptions);
    case 'avif':
      return p.avif(c.options as AvifOptions);
  }
}

/** Lowest mean SSIM over the TILE×TILE tiles of a map (edge tiles may be smaller). */
function worstTile(map: Float32Array, width: number, height: number): number {
  let worst = Infinity;
  for (let ty = 0; ty < height; ty += TILE) {
    for (let tx = 0; tx < width; tx += TILE) {
      const y1 = Math.min(ty + TILE, height);
      const x1 = Math.min(tx + TILE, width);
      let sum = 0;
      for (let y = ty; y < y1; y++) for (let x = tx; x < x1; x++) sum += map[y * width + x]!;
      worst = Math.min(worst, sum / ((y1 - ty) * (x1 - tx)));
    }
  }
  return worst;
}

async function measure(c: Candidate, frames: Frame[], repeat: number): Promise<Result> {
  const r: Result = { candidate: c, set: [], ssim: [], channelSsim: [], tileSsim: [], bytes: [], ms: [], cpuMs: [] };
  for (const f of frames) {
    // Time several encodes and keep the fastest: the one least disturbed by other work on the machine.
    let encoded = Buffer.alloc(0);
    let wall = Infinity;
    let cpu = Infinity;
    for (let i = 0; i < repeat; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      encoded = await encoder(c, f).toBuffer();
      wall = Math.min(wall, performance.now() - t0);
      const dc = process.cpuUsage(c0);
      cpu = Math.min(cpu, (dc.user + dc.system) / 1000);
    }
    const decoded = await sharp(encoded).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = decoded.info;
    if (width !== f.width || height !== f.height || channels !== 3) {
      throw new Error(`encoder-settings: ${c.format} ${c.label} decoded to ${width}×${height}×${channels}`);
    }
    const mw = width - SSIM_WINDOW + 1;
    const mh = height - SSIM_WINDOW + 1;
    const map = new Float32Array(mw * mh);
    r.ssim.push(ssimLuma(f.y, luma({ data: decoded.data, width, height, channels }), width, height, map));
    r.tileSsim.push(worstTile(map, mw, mh));
    const planes = planesOf(decoded.data, width * height);
    r.channelSsim.push(Math.min(...planes.map((p, i) => ssimLuma(f.planes[i]!, p, width, height))));
    r.bytes.push(encoded.length);
    r.ms.push(wall);
    r.cpuMs.push(cpu);
    r.set.push(f.set);
  }
  return r;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function summarise(result: Result): Summary {
  return {
    result,
    medianSsim: median(result.ssim),
    minSsim: Math.min(...result.ssim),
    minChannelSsim: Math.min(...result.channelSsim),
    minTileSsim: Math.min(...result.tileSsim),
    meanBytes: mean(result.bytes),
    medianMs: median(result.ms),
    medianCpuMs: median(result.cpuMs),
  };
}

/** Runs candidates one by one, logging progress to stderr so that stdout stays the report. */
async function runAll(cands: Candidate[], frames: Frame[], repeat: number): Promise<Summary[]> {
  const out: Summary[] = [];
  for (const c of cands) {
    const s = summarise(await measure(c, frames, repeat));
    process.stderr.write(
      `${c.format.padEnd(4)} ${c.label.padEnd(16)} ssim med ${s.medianSsim.toFixed(4)} min ${s.minSsim.toFixed(4)} ` +
        `rgb ${s.minChannelSsim.toFixed(4)} tile ${s.minTileSsim.toFixed(4)}  ${(s.meanBytes / 1024).toFixed(1)} KiB  ` +
        `${s.medianMs.toFixed(0)} ms (cpu ${s.medianCpuMs.toFixed(0)})\n`,
    );
    out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Candidates and choosing

const jpegCandidate = (quality: number): Candidate => ({
  format: 'jpeg',
  label: `q${quality}`,
  options: { quality, mozjpeg: true, progressive: true } satisfies JpegOptions,
});

const webpCandidate = (quality: number, effort: number, smartSubsample: boolean): Candidate => ({
  format: 'webp',
  label: `q${quality} e${effort}${smartSubsample ? ' smart' : ''}`,
  options: { quality, effort, smartSubsample } satisfies WebpOptions,
});

const avifCandidate = (quality: number, effort: number, chromaSubsampling: '4:4:4' | '4:2:0'): Candidate => ({
  format: 'avif',
  label: `q${quality} e${effort} ${chromaSubsampling}`,
  options: { quality, effort, chromaSubsampling } satisfies AvifOptions,
});

const quality = (s: Summary): number => (s.result.candidate.options as { quality: number }).quality;
const effort = (s: Summary): number => (s.result.candidate.options as { effort: number }).effort;
const byBytes = (a: Summary, b: Summary): number => a.meanBytes - b.meanBytes;

function cheapest(rows: Summary[], rule: Rule): Summary | undefined {
  return rows.filter(rule.passes).sort(byBytes)[0];
}

/**
 * Grid settings worth trying a variant (smartSubsample, 4:2:0) on, under every rule: the 3 cheapest
 * passing ones, the cheapest passing one of each effort, and the next lower quality of each of
 * those at the same effort (the variant might lift it over the threshold).
 */
function variantSeeds(grid: Summary[], qualities: number[], efforts: number[], rules: Rule[]): Summary[] {
  const seeds = new Set<Summary>();
  for (const rule of rules) {
    const passing = grid.filter(rule.passes).sort(byBytes);
    const picked = [...passing.slice(0, 3), ...efforts.map((e) => passing.find((s) => effort(s) === e))];
    for (const s of picked) {
      if (!s) continue;
      seeds.add(s);
      const lower = qualities[qualities.indexOf(quality(s)) - 1];
      const below = grid.find((r) => quality(r) === lower && effort(r) === effort(s));
      if (below && !rule.passes(below)) seeds.add(below);
    }
  }
  return [...seeds];
}

interface Picks {
  rule: Rule;
  jpeg: Summary | undefined;
  webp: Summary | undefined;
  avif: Summary | undefined;
  /** Cheapest passing AVIF within the time budget, and overall. */
  avifFast: Summary | undefined;
  avifAny: Summary | undefined;
}

function choose(rule: Rule, jpeg: Summary[], webp: Summary[], avif: Summary[], avifBudgetMs: number): Picks {
  const avifFast = cheapest(
    avif.filter((s) => s.medianCpuMs <= avifBudgetMs),
    rule,
  );
  const avifAny = cheapest(avif, rule);
  const slowWorthIt = avifAny && avifFast && avifAny.meanBytes <= (1 - AVIF_SLOW_GAIN) * avifFast.meanBytes;
  return {
    rule,
    jpeg: cheapest(jpeg, rule),
    webp: cheapest(webp, rule),
    avif: avifFast && !slowWorthIt ? avifFast : avifAny,
    avifFast,
    avifAny,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = {
  ssim: (v: number) => v.toFixed(4),
  kib: (v: number) => (v / 1024).toFixed(1),
  pct: (v: number) => `${(v * 100).toFixed(0)} %`,
  ms: (v: number) => v.toFixed(0),
  opts: (s: Summary) => `\`${JSON.stringify(s.result.candidate.options)}\``,
};

function table(rows: Summary[], jpegRef: number, picks: Picks[]): string {
  const rules = picks.map((p) => p.rule);
  const head =
    `| setting | median SSIM | min SSIM | min R/G/B SSIM | worst ${TILE}px tile | KiB/frame | vs JPEG q85 | encode ms/frame | CPU ms/frame | passes | pick |\n` +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|';
  const lines = rows.map((r) => {
    const passes =
      rules
        .filter((rule) => rule.passes(r))
        .map((rule) => rule.id)
        .join(', ') || '–';
    const picked = picks
      .filter((p) => [p.jpeg, p.webp, p.avif].includes(r))
      .map((p) => `**${p.rule.id}**`)
      .join(', ');
    return (
      `| ${r.result.candidate.label} | ${fmt.ssim(r.medianSsim)} | ${fmt.ssim(r.minSsim)} | ${fmt.ssim(r.minChannelSsim)} | ` +
      `${fmt.ssim(r.minTileSsim)} | ${fmt.kib(r.meanBytes)} | ${fmt.pct(r.meanBytes / jpegRef)} | ${fmt.ms(r.medianMs)} | ` +
      `${fmt.ms(r.medianCpuMs)} | ${passes} | ${picked} |`
    );
  });
  return [head, ...lines].join('\n');
}

interface Report {
  frames: Frame[];
  notes: string[];
  load: number;
  loadEnd: number;
  repeat: number;
  elapsed: number;
  jpegQ85: Summary;
  webpE4Ms: number;
  avifBudgetMs: number;
  jpeg: Summary[];
  webp: Summary[];
  avif: Summary[];
  picks: Picks[];
}

function renderReport(r: Report): string {
  const jpegRef = r.jpegQ85.meanBytes;
  const byLabel = (rows: Summary[]) => [...rows].sort((a, b) => a.result.candidate.label.localeCompare(b.result.candidate.label, 'en', { numeric: true }));
  const sets = [...new Set(r.frames.map((f) => f.set))];
  const v = sharp.versions;
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines);

  p('# Encoder settings for spin frames (measured)', '');
  p(
    `Generated by \`node dist/bench/encoder-settings.js\` (bench/encoder-settings.ts) on ${new Date().toISOString().slice(0, 10)}: ` +
      `sharp ${v.sharp}, libvips ${v.vips}, mozjpeg ${v.mozjpeg ?? '?'}, libwebp ${v.webp ?? '?'}, aom ${v.aom ?? '?'}, libheif ${v.heif ?? '?'}; ` +
      `${os.availableParallelism()} CPU cores (1-min load average ${r.load.toFixed(1)} at start, ${r.loadEnd.toFixed(1)} at end), \`sharp.concurrency(${CONCURRENCY})\`, ` +
      `frames encoded one at a time, encode time = best of ${r.repeat}; ${(r.elapsed / 60).toFixed(0)} min in all.`,
    '',
    'Frames:',
    ...r.notes.map((n) => `- ${n}`),
    '',
    'Metrics: SSIM is Wang et al. 2004 (11×11 Gaussian, σ 1.5) on Rec.601 luma of the decoded frame against the raw ' +
      'reference (pipeline/core/ssim.ts); "median" and "min" are over frames. ' +
      '"min R/G/B SSIM" is the lowest SSIM of any single colour channel on any frame: luma SSIM is blind to chroma subsampling, this is not. ' +
      `"worst ${TILE}px tile" is the lowest mean of the SSIM map over any ${TILE}×${TILE} tile of any frame: a frame mean is diluted by flat backdrop, this is not. ` +
      `Bytes are the mean per frame; "vs JPEG q85" is relative to mozjpeg progressive q85 (${fmt.kib(jpegRef)} KiB/frame). ` +
      'Encode ms is the median over frames of wall-clock time; CPU ms counts all threads.',
    '',
    `Choice: per format, the cheapest setting (mean bytes) that passes the rule. For AVIF, the cheapest passing setting whose encode ` +
      `CPU time is within ${AVIF_TIME_FACTOR}× WebP effort 4 (median ${fmt.ms(r.webpE4Ms)} ms → budget ${fmt.ms(r.avifBudgetMs)} ms; CPU rather ` +
      `than wall time because it is robust to other load and is the cost when frames are encoded in parallel), ` +
      `unless a slower one saves ≥ ${AVIF_SLOW_GAIN * 100} % bytes. Rules:`,
    ...r.picks.map(({ rule }) => `- **${rule.id}**: ${rule.title}`),
    '',
    '## Recommendation',
    '',
  );

  for (const pick of r.picks) {
    p(`### Rule "${pick.rule.id}" (${pick.rule.title})`, '');
    for (const [name, s] of [
      ['AVIF', pick.avif],
      ['WebP', pick.webp],
      ['JPEG', pick.jpeg],
    ] as const) {
      p(
        s
          ? `- **${name}** ${fmt.opts(s)}: ${fmt.kib(s.meanBytes)} KiB/frame (${fmt.pct(s.meanBytes / jpegRef)} of JPEG q85), ` +
              `${fmt.ms(s.medianMs)} ms/frame (${fmt.ms(s.medianCpuMs)} CPU ms); SSIM median ${fmt.ssim(s.medianSsim)}, min ${fmt.ssim(s.minSsim)}, ` +
              `min R/G/B ${fmt.ssim(s.minChannelSsim)}, worst tile ${fmt.ssim(s.minTileSsim)}`
          : `- **${name}**: no candidate passes`,
      );
    }
    p('');
    const edge = [pick.avif, pick.webp, pick.jpeg].filter((s): s is Summary => !!s && quality(s) === Math.min(...gridQualities(s.result.candidate.format)));
    if (edge.length > 0) {
      p(
        `Note: ${edge.map((s) => `${s.result.candidate.format} ${s.result.candidate.label}`).join(', ')} ` +
          `${edge.length > 1 ? 'are' : 'is'} at the lowest quality tested: the rule did not bind there, and lower qualities may pass too.`,
        '',
      );
    }
    if (pick.avif) {
      const share = pick.avif.meanBytes / jpegRef;
      p(
        `Chosen AVIF is **${fmt.pct(share)} of JPEG q85 bytes** (target ≤ ${fmt.pct(AVIF_TARGET_VS_JPEG)}: ${share <= AVIF_TARGET_VS_JPEG ? 'met' : 'not met'}).`,
        '',
      );
    }
    const { avifFast: fast, avifAny: any } = pick;
    if (fast && any && fast !== any) {
      p(
        `AVIF trade-off: cheapest passing overall is ${any.result.candidate.label} (${fmt.kib(any.meanBytes)} KiB, ${fmt.ms(any.medianCpuMs)} CPU ms); ` +
          `cheapest within the time budget is ${fast.result.candidate.label} (${fmt.kib(fast.meanBytes)} KiB, ${fmt.ms(fast.medianCpuMs)} CPU ms): ` +
          `${fmt.pct(1 - any.meanBytes / fast.meanBytes)} fewer bytes for ${(any.medianCpuMs / fast.medianCpuMs).toFixed(1)}× the encode CPU time.`,
        '',
      );
    } else if (any && !fast) {
      p(`AVIF trade-off: no passing setting is within the time budget; the cheapest passing one takes ${fmt.ms(any.medianCpuMs)} CPU ms.`, '');
    } else if (any) {
      p('AVIF trade-off: the cheapest passing setting is also within the time budget.', '');
    }
  }

  // The AVIF effort trade-off in one view: the cheapest passing quality at each effort and subsampling.
  p('### AVIF: cheapest passing quality per effort', '');
  const rules = r.picks.map((pk) => pk.rule);
  p(`| effort | subsampling | ${rules.map((rule) => `${rule.id}: setting | KiB | vs JPEG q85 | CPU ms`).join(' | ')} |`);
  p(`|---|---|${rules.map(() => '---|---:|---:|---:').join('|')}|`);
  for (const e of AVIF_EFFORT) {
    for (const sub of ['4:4:4', '4:2:0']) {
      const rows = r.avif.filter((s) => effort(s) === e && (s.result.candidate.options as AvifOptions).chromaSubsampling === sub);
      if (rows.length === 0) continue;
      const cells = rules.map((rule) => {
        const s = cheapest(rows, rule);
        return s ? `q${quality(s)} | ${fmt.kib(s.meanBytes)} | ${fmt.pct(s.meanBytes / jpegRef)} | ${fmt.ms(s.medianCpuMs)}` : '– | | | ';
      });
      p(`| ${e} | ${sub}${sub === '4:2:0' ? ' (seeds only)' : ''} | ${cells.join(' | ')} |`);
    }
  }
  p('');

  if (sets.length > 1) {
    p('### Bytes by frame set', '', `| setting | ${sets.map((s) => `${s} KiB/frame`).join(' | ')} |`, `|---|${sets.map(() => '---:').join('|')}|`);
    const shown = new Set<Summary>();
    for (const s of [...r.picks.flatMap((pk) => [pk.avif, pk.webp, pk.jpeg]), r.jpegQ85]) {
      if (!s || shown.has(s)) continue;
      shown.add(s);
      const perSet = sets.map((set) => fmt.kib(mean(s.result.bytes.filter((_, i) => s.result.set[i] === set))));
      p(`| ${s.result.candidate.format} ${s.result.candidate.label} | ${perSet.join(' | ')} |`);
    }
    p('');
  }

  p('## JPEG (mozjpeg, progressive)', '', table(r.jpeg, jpegRef, r.picks), '');
  p('## WebP', '', table(byLabel(r.webp), jpegRef, r.picks), '');
  p('## AVIF', '', table(byLabel(r.avif), jpegRef, r.picks), '');
  p(
    'Options by label: JPEG `qN` = `{ quality: N, mozjpeg: true, progressive: true }`; ' +
      'WebP `qN eE [smart]` = `{ quality: N, effort: E, smartSubsample: true|false }`; ' +
      'AVIF `qN eE S` = `{ quality: N, effort: E, chromaSubsampling: S }`. ' +
      '"passes" lists the rules a setting passes; "pick" the rules under which it is recommended.',
    '',
  );
  return out.join('\n');
}

function gridQualities(format: Format): number[] {
  return format === 'jpeg' ? JPEG_Q : format === 'webp' ? WEBP_Q : AVIF_Q;
}

// ---------------------------------------------------------------------------------------------
// Main

/** Value of `--name N` on the command line, or the default. */
function intArg(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`encoder-settings: ${name} expects a positive integer`);
  return v;
}

async function main(): Promise<void> {
  const perSet = intArg('--frames', 8);
  const repeat = intArg('--repeat', 2);

  sharp.concurrency(CONCURRENCY);
  sharp.cache(false);
  const root = projectRoot();
  const { frames, notes } = await loadFrames(root, perSet);
  const load = os.loadavg()[0]!;

  // Warm up each encoder once so that library initialisation is not charged to the first candidate.
  for (const c of [jpegCandidate(80), webpCandidate(80, 4, false), avifCandidate(50, 0, '4:4:4')]) {
    await encoder(c, frames[0]!).toBuffer();
  }
  const started = performance.now();

  // JPEG: the baseline.
  const jpeg = await runAll(JPEG_Q.map(jpegCandidate), frames, repeat);
  const jpegQ85 = jpeg.find((s) => quality(s) === 85)!;
  const rules = makeRules(jpegQ85);

  // WebP: quality × effort, then smartSubsample on the most promising.
  const webpGrid = await runAll(
    WEBP_Q.flatMap((q) => WEBP_EFFORT.map((e) => webpCandidate(q, e, false))),
    frames,
    repeat,
  );
  const webpSmart = await runAll(
    variantSeeds(webpGrid, WEBP_Q, WEBP_EFFORT, rules).map((s) => webpCandidate(quality(s), effort(s), true)),
    frames,
    repeat,
  );
  const webp = [...webpGrid, ...webpSmart];

  // AVIF: quality × effort at sharp's default 4:4:4, then 4:2:0 on the most promising.
  const avifGrid = await runAll(
    AVIF_Q.flatMap((q) => AVIF_EFFORT.map((e) => avifCandidate(q, e, '4:4:4'))),
    frames,
    repeat,
  );
  const avif420 = await runAll(
    variantSeeds(avifGrid, AVIF_Q, AVIF_EFFORT, rules).map((s) => avifCandidate(quality(s), effort(s), '4:2:0')),
    frames,
    repeat,
  );
  const avif = [...avifGrid, ...avif420];
  const elapsed = (performance.now() - started) / 1000;

  // The time budget is in CPU time: it does not swell when other work shares the machine, and it
  // is the real cost when the pipeline encodes several frames in parallel.
  const webpE4Ms = median(webpGrid.filter((s) => effort(s) === 4).map((s) => s.medianCpuMs));
  const avifBudgetMs = AVIF_TIME_FACTOR * webpE4Ms;
  const picks = rules.map((rule) => choose(rule, jpeg, webp, avif, avifBudgetMs));

  const loadEnd = os.loadavg()[0]!;
  const report = renderReport({ frames, notes, load, loadEnd, repeat, elapsed, jpegQ85, webpE4Ms, avifBudgetMs, jpeg, webp, avif, picks });
  process.stdout.write(report);
  const file = path.join(root, 'bench/results/encoder-settings.md');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, report);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
