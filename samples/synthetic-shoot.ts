/**
 * Synthetic and derived turntable shoots with known ground truth, for tests and benchmarks:
 * - `makeSyntheticShoot`: a rendered box turning on a turntable (SVG through sharp/librsvg), placed off
 *   the axis so it orbits, with a soft contact shadow, on a chosen backdrop, with per-frame gains.
 * - `makeVariantShoot`: real frames (shot on white) moved onto another backdrop, upscaled, with an
 *   added orbit and per-frame exposure gains.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export type Backdrop = 'white' | 'grey' | 'gradient' | 'black';

export interface SyntheticShootOptions {
  frames: number;
  width: number;
  height: number;
  /** Orbit radius in pixels (the object's distance from the turntable axis, as seen). */
  orbit: number;
  backdrop: Backdrop;
  /** Per-frame exposure gain (multiplies every channel); default 1. */
  gain?: (i: number) => number;
  /** File name for frame i (1-based number). */
  name?: (n: number) => string;
  format?: 'jpeg' | 'png';
}

function backdropSvg(kind: Backdrop, w: number, h: number): string {
  switch (kind) {
    case 'white':
      return `<rect width="${w}" height="${h}" fill="#ffffff"/>`;
    case 'grey':
      return `<rect width="${w}" height="${h}" fill="#c8c8c8"/>`;
    case 'black':
      return `<rect width="${w}" height="${h}" fill="#0a0a0a"/>`;
    case 'gradient':
      return `<defs><linearGradient id="bg" x1="0" y1="0" x2="0.3" y2="1"><stop offset="0" stop-color="#e6e6e6"/><stop offset="1" stop-color="#9a9a9a"/></linearGradient></defs><rect width="${w}" height="${h}" fill="url(#bg)"/>`;
  }
}

/** The SVG of frame i: a 2a × 2b box turning about its own axis, which is `orbit` px off the turntable axis. */
export function syntheticFrameSvg(i: number, o: SyntheticShootOptions): string {
  const { width: w, height: h } = o;
  const t = (2 * Math.PI * i) / o.frames;
  const a = w * 0.1,
    b = w * 0.06,
    tall = h * 0.42;
  const cx = w / 2 + o.orbit * Math.sin(t);
  const base = h * 0.72 + 0.15 * o.orbit * Math.cos(t); // a little vertical motion, as seen from above
  const wa = 2 * a * Math.abs(Math.cos(t)),
    wb = 2 * b * Math.abs(Math.sin(t));
  const left = cx - (wa + wb) / 2;
  // Opaque faces with fixed colours (a matte box under even light): only the per-frame gain changes exposure.
  const faceA = Math.cos(t) >= 0 ? '#b8322a' : '#2a6cb8';
  const faceB = Math.sin(t) >= 0 ? '#d0a020' : '#3a9a4a';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
${backdropSvg(o.backdrop, w, h)}
<defs><filter id="blur" x="-50%" y="-50%" width="200%" height="200%"><feGaussianBlur stdDeviation="${(w * 0.012).toFixed(1)}"/></filter></defs>
<ellipse cx="${cx}" cy="${base}" rx="${(wa + wb) / 2 + w * 0.03}" ry="${h * 0.025}" fill="#000" opacity="${o.backdrop === 'black' ? 0 : 0.35}" filter="url(#blur)"/>
<rect x="${left}" y="${base - tall}" width="${wa}" height="${tall}" fill="${faceA}"/>
<rect x="${left + wa}" y="${base - tall}" width="${wb}" height="${tall}" fill="${faceB}"/>
<rect x="${left}" y="${base - tall * 0.6}" width="${wa + wb}" height="${tall * 0.08}" fill="#f4f0e0"/>
<ellipse cx="${cx}" cy="${base - tall}" rx="${(wa + wb) / 2}" ry="${h * 0.02}" fill="#444"/>
</svg>`;
}

/** Write a synthetic shoot into `dir` (created). Returns the file paths in order. */
export async function makeSyntheticShoot(dir: string, o: SyntheticShootOptions): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < o.frames; i++) {
    const name = (o.name ?? ((n: number) => `frame_${String(n).padStart(3, '0')}`))(i + 1) + (o.format === 'png' ? '.png' : '.jpg');
    const g = o.gain ? o.gain(i) : 1;
    let p = sharp(Buffer.from(syntheticFrameSvg(i, o))).flatten({ background: '#ffffff' });
    if (g !== 1) p = p.linear(g, 0);
    const data = o.format === 'png' ? await p.png().toBuffer() : await p.jpeg({ quality: 92 }).toBuffer();
    await writeFile(path.join(dir, name), data);
    files.push(path.join(dir, name));
  }
  return files;
}

export interface VariantOptions {
  /** New backdrop for frames shot on white (a multiply composite, as if the sweep had that colour). */
  backdrop: Backdrop;
  /** Upscale factor (1 = none). */
  scale: number;
  /** Added orbit radius, as a fraction of the output width. */
  orbit: number;
  /** Per-frame exposure gain. */
  gain?: (i: number) => number;
  /** Output JPEG quality. */
  quality?: number;
}

/**
 * Derive a shoot from real frames on a white backdrop: the frame is multiplied onto the new backdrop
 * (white stays the backdrop colour, the object darkens only where the backdrop is darker), upscaled,
 * shifted along an added orbit (x = R·sin θ, y = 0.15·R·cos θ; edges padded with the backdrop) and
 * multiplied by the frame's gain.
 */
export async function makeVariantShoot(srcDir: string, outDir: string, o: VariantOptions): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const names = (await readdir(srcDir)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
  const files: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const src = sharp(path.join(srcDir, names[i]!));
    const meta = await src.metadata();
    const w = Math.round(meta.width! * o.scale),
      h = Math.round(meta.height! * o.scale);
    const t = (2 * Math.PI * i) / names.length;
    const dx = Math.round(o.orbit * w * Math.sin(t)),
      dy = Math.round(0.15 * o.orbit * w * Math.cos(t));
    // Shift: pad with white on one side, cut the other.
    const pad = Math.ceil(o.orbit * w) + 2;
    const padded = await sharp(path.join(srcDir, names[i]!))
      .resize(w, h, { kernel: 'lanczos3' })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#ffffff' })
      .removeAlpha()
      .raw()
      .toBuffer();
    // libvips extracts before it extends within one pipeline, so cut the shifted window in a second one.
    const shifted = await sharp(padded, { raw: { width: w + 2 * pad, height: h + 2 * pad, channels: 3 } })
      .extract({ left: pad - dx, top: pad - dy, width: w, height: h })
      .raw()
      .toBuffer();
    const bg = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${backdropSvg(o.backdrop, w, h)}</svg>`))
      .removeAlpha()
      .raw()
      .toBuffer();
    const g = o.gain ? o.gain(i) : 1;
    const out = Buffer.alloc(w * h * 3);
    for (let k = 0; k < out.length; k++) out[k] = Math.min(255, Math.round(((shifted[k]! * bg[k]!) / 255) * g));
    const file = path.join(outDir, names[i]!.replace(/\.\w+$/, '.jpg'));
    await sharp(out, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: o.quality ?? 92 })
      .toFile(file);
    files.push(file);
  }
  return files;
}

/** A deterministic pseudo-random gain sequence in [1 - amp, 1 + amp] (mulberry32). */
export function seededGains(seed: number, amp: number): (i: number) => number {
  const values: number[] = [];
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (i: number) => {
    while (values.length <= i) values.push(1 + amp * (2 * next() - 1));
    return values[i]!;
  };
}
