/**
 * Loading and memory for a spin. Every file is fetched once (compressed bytes are small and kept as Blobs); only a
 * window of frames around the current angle is kept decoded (ImageBitmaps, closed when they leave the window or when
 * the viewer is released), sized to the device's memory. Each row's preview sprite stays decoded: it draws any frame
 * not decoded yet. Frames load in spread-out order around the current angle (every 180°, 90°, 45° …), the current
 * row first. Nothing here touches the DOM.
 */
import { spreadOrder, windowAround, wrap } from './frames.js';
import type { Spin } from './manifest.js';
import { pickFormat, type FormatPaths, type ImageFormat } from './sources.js';

export interface FrameStoreOptions {
  /** Formats the browser decodes. */
  supported: Set<ImageFormat>;
  /** How many bytes of decoded frames to keep (RGBA, 4 bytes a pixel). */
  budgetBytes: number;
  /** Parallel downloads. */
  concurrency: number;
  /** Called when a frame (or the sprite) becomes drawable, so the view can redraw. */
  onReady: (row: number, frame: number | 'sprite') => void;
  /** Called when a file fails to load: the viewer keeps working with what it has. */
  onFileError: (url: string, message: string) => void;
}

export type Drawable = ImageBitmap | HTMLImageElement;

/** The budget for a device: deviceMemory (GB, Chrome/Android) × 12 MiB, 24–192 MiB; 48 MiB where unknown. */
export function memoryBudget(deviceMemoryGB: number | undefined): number {
  const mb = deviceMemoryGB ? Math.min(192, Math.max(24, deviceMemoryGB * 12)) : 48;
  return mb * 1024 * 1024;
}

/** The decoded-window radius (frames each side) for a budget and a frame size, at least 2, at most all frames. */
export function windowRadius(budgetBytes: number, width: number, height: number, frames: number): number {
  const per = Math.max(1, width * height * 4);
  const fit = Math.floor((budgetBytes / per - 1) / 2);
  return Math.max(2, Math.min(Math.ceil((frames - 1) / 2), fit));
}

/** createImageBitmap: in every browser the ES2022 build runs in (Safari 15+), and closable (memory comes back at once). */
function decode(blob: Blob): Promise<Drawable> {
  return createImageBitmap(blob);
}

function release(d: Drawable | undefined): void {
  if (d && 'close' in d) d.close();
}

export class FrameStore {
  readonly spin: Spin;
  #o: FrameStoreOptions;
  #width: number;
  #blobs = new Map<string, Blob>();
  #pending = new Map<string, Promise<Blob | null>>();
  #decoded = new Map<string, Drawable>();
  #decoding = new Map<string, Promise<Drawable | null>>();
  #sprites = new Map<number, Drawable>();
  #zoomed: { key: string; image: Drawable } | null = null;
  /** The one zoom decode in flight (pinch and wheel ask many times a second), and a generation dropZoom() bumps. */
  #zoomJob: { key: string; p: Promise<Drawable | null> } | null = null;
  #zoomGen = 0;
  #queue: { row: number; frame: number }[] = [];
  #active = 0;
  #abort = new AbortController();
  #center = { row: 0, frame: 0 };
  #radius = 2;
  #released = false;
  /** Full frames wait until begin(): the sprite that makes the spin draggable gets the bandwidth first. */
  #begun = false;
  /** Off screen: downloads go on (compressed bytes are cheap), nothing is decoded. */
  #suspended = false;
  /** Bytes fetched so far (compressed). */
  bytesLoaded = 0;

  constructor(spin: Spin, width: number, options: FrameStoreOptions) {
    this.spin = spin;
    this.#width = width;
    this.#o = options;
    this.#updateRadius();
  }

  /** Rendition width in use (changes when the element is resized or zoomed). */
  get renditionWidth(): number {
    return this.#width;
  }

  setWidth(width: number): void {
    if (width === this.#width) return;
    this.#width = width;
    for (const d of this.#decoded.values()) release(d);
    this.#decoded.clear();
    this.#updateRadius();
    // Decode the window again at the new width (its files may be downloaded already) and re-plan the rest.
    this.setCenter(this.#center.row, this.#center.frame);
  }

  #updateRadius(): void {
    const h = Math.round((this.#width * this.spin.height) / this.spin.width);
    const n = Math.max(...this.spin.rows.map((r) => r.frames.length));
    this.#radius = windowRadius(this.#o.budgetBytes, this.#width, h, n);
  }

  /** Frames kept decoded each side of the current one. */
  get windowRadius(): number {
    return this.#radius;
  }

  /** Decoded frames held right now (for tests and the memory budget). */
  get decodedCount(): number {
    return this.#decoded.size + (this.#zoomed ? 1 : 0);
  }

  #url(paths: FormatPaths | undefined): string | null {
    if (!paths) return null;
    const f = pickFormat(paths, this.#o.supported);
    return f ? paths[f]! : null;
  }

  /** The URL of a frame at the current width (the nearest width the frame has). */
  frameUrl(row: number, frame: number, width = this.#width): string | null {
    const src = this.spin.rows[row]?.frames[frame];
    if (!src) return null;
    const widths = Object.keys(src)
      .map(Number)
      .sort((a, b) => a - b);
    const w = widths.find((x) => x >= width) ?? widths[widths.length - 1];
    return w === undefined ? null : this.#url(src[w]);
  }

  #fetchBlob(url: string): Promise<Blob | null> {
    const have = this.#blobs.get(url);
    if (have) return Promise.resolve(have);
    let p = this.#pending.get(url);
    if (!p) {
      const get = (retry: boolean): Promise<Blob | null> =>
        fetch(url, { signal: this.#abort.signal, credentials: 'same-origin' })
          .then(async (res) => {
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            const blob = await res.blob();
            this.bytesLoaded += blob.size;
            if (!this.#released) this.#blobs.set(url, blob);
            return blob;
          })
          .catch((e: Error) => {
            // A network error (not an HTTP status) is tried once more: phone networks drop, and Chromium has been seen
            // to fail a fetch that takes over a preloaded response ("Failed to fetch", no failed request on the wire).
            if (retry && e.name === 'TypeError' && !this.#released) return get(false);
            if (e.name !== 'AbortError' && !this.#released) this.#o.onFileError(url, e.message);
            return null;
          });
      p = get(true).finally(() => this.#pending.delete(url));
      this.#pending.set(url, p);
    }
    return p;
  }

  /** Loads and decodes a row's sprite (the first thing that makes the spin draggable). */
  async loadSprite(row: number): Promise<boolean> {
    if (this.#sprites.has(row)) return true;
    const sources = this.spin.rows[row]?.sprite.sources;
    const url = this.#url(sources);
    if (!url) return false;
    const blob = await this.#fetchBlob(url);
    if (!blob || this.#released) return false;
    try {
      const img = await decode(blob);
      if (this.#released) {
        release(img);
        return false;
      }
      this.#sprites.set(row, img);
      this.#o.onReady(row, 'sprite');
      return true;
    } catch {
      // No AVIF decoder here (sources.ts: nothing is probed up front): the next format, for this file and all others.
      if (url === sources?.avif && this.#o.supported.delete('avif')) return this.loadSprite(row);
      this.#o.onFileError(url, 'the sprite could not be decoded');
      return false;
    }
  }

  sprite(row: number): Drawable | undefined {
    return this.#sprites.get(row);
  }

  /** The decoded frame at the current width, if it is ready. */
  frame(row: number, frame: number): Drawable | undefined {
    const url = this.frameUrl(row, frame);
    return url ? this.#decoded.get(url) : undefined;
  }

  /** The largest rendition of one frame, for zoom (only this frame is held at that size). */
  zoomFrame(row: number, frame: number): Promise<Drawable | null> {
    const url = this.frameUrl(row, frame, Infinity);
    if (!url) return Promise.resolve(null);
    if (this.#zoomed?.key === url) return Promise.resolve(this.#zoomed.image);
    if (this.#zoomJob?.key === url) return this.#zoomJob.p;
    const gen = this.#zoomGen;
    const p = (async () => {
      const blob = await this.#fetchBlob(url);
      if (!blob || this.#released) return null;
      const image = await decode(blob).catch(() => null);
      if (!image) return null;
      // Released, zoomed out, or another frame asked for meanwhile: not kept.
      if (this.#released || gen !== this.#zoomGen || this.#zoomJob?.key !== url) {
        release(image);
        return null;
      }
      release(this.#zoomed?.image);
      this.#zoomed = { key: url, image };
      this.#o.onReady(row, frame);
      return image;
    })().finally(() => {
      if (this.#zoomJob?.key === url) this.#zoomJob = null;
    });
    this.#zoomJob = { key: url, p };
    return p;
  }

  zoomImage(row: number, frame: number): Drawable | undefined {
    const url = this.frameUrl(row, frame, Infinity);
    return url && this.#zoomed?.key === url ? this.#zoomed.image : undefined;
  }

  dropZoom(): void {
    this.#zoomGen++;
    this.#zoomJob = null;
    release(this.#zoomed?.image);
    this.#zoomed = null;
  }

  /** Moves the window: decodes frames near (row, frame), releases the rest, and re-plans the downloads. */
  setCenter(row: number, frame: number): void {
    this.#center = { row, frame };
    if (this.#released || this.#suspended || !this.#begun) return;
    const n = this.spin.rows[row]!.frames.length;
    const keep = new Set(
      windowAround(frame, this.#radius, n)
        .map((f) => this.frameUrl(row, f))
        .filter((u): u is string => !!u),
    );
    for (const [url, d] of this.#decoded) {
      if (!keep.has(url)) {
        release(d);
        this.#decoded.delete(url);
      }
    }
    for (const f of windowAround(frame, this.#radius, n)) void this.#decodeFrame(row, f);
    this.#plan();
  }

  async #decodeFrame(row: number, frame: number): Promise<void> {
    const url = this.frameUrl(row, frame);
    if (!url || this.#decoded.has(url) || this.#decoding.has(url)) return;
    const job = (async () => {
      const blob = this.#blobs.get(url) ?? (await this.#fetchBlob(url));
      if (!blob || this.#released) return null;
      return decode(blob).catch(() => {
        this.#o.onFileError(url, 'the image could not be decoded');
        return null;
      });
    })();
    this.#decoding.set(url, job);
    const image = await job;
    this.#decoding.delete(url);
    if (!image) return;
    if (this.#suspended) {
      release(image);
      return;
    }
    // Still wanted? (the viewer may have turned on, or been released, while this decoded)
    const n = this.spin.rows[this.#center.row]!.frames.length;
    const wanted = row === this.#center.row && windowAround(this.#center.frame, this.#radius, n).some((f) => this.frameUrl(row, f) === url);
    if (this.#released || !wanted) {
      release(image);
      return;
    }
    this.#decoded.set(url, image);
    this.#o.onReady(row, frame);
  }

  /** Download order: the current row in spread order from the current frame, then the other rows. */
  /** Starts downloading full frames (after the sprite is in). */
  begin(): void {
    this.#begun = true;
    this.setCenter(this.#center.row, this.#center.frame);
  }

  #plan(): void {
    if (!this.#begun) return;
    const { row, frame } = this.#center;
    const rows = [row, ...this.spin.rows.map((_, i) => i).filter((i) => i !== row)];
    const n = this.spin.rows[row]!.frames.length;
    // Other rows start at the same angle (rows may have different frame counts).
    const startIn = (r: number) => (r === row ? frame : wrap(Math.round((frame / n) * this.spin.rows[r]!.frames.length), this.spin.rows[r]!.frames.length));
    this.#queue = rows.flatMap((r) => spreadOrder(this.spin.rows[r]!.frames.length, startIn(r)).map((f) => ({ row: r, frame: f })));
    this.#pump();
  }

  #pump(): void {
    while (!this.#released && this.#active < this.#o.concurrency && this.#queue.length) {
      const next = this.#queue.shift()!;
      const url = this.frameUrl(next.row, next.frame);
      if (!url || this.#blobs.has(url) || this.#pending.has(url)) continue;
      this.#active++;
      void this.#fetchBlob(url).then(() => {
        this.#active--;
        // A frame inside the window that just arrived gets decoded.
        if (next.row === this.#center.row) {
          const n = this.spin.rows[next.row]!.frames.length;
          if (windowAround(this.#center.frame, this.#radius, n).includes(next.frame)) void this.#decodeFrame(next.row, next.frame);
        }
        this.#pump();
      });
    }
  }

  /** Frees every decoded image (off screen); the compressed bytes stay, so coming back is quick. */
  suspend(): void {
    this.#suspended = true;
    for (const d of this.#decoded.values()) release(d);
    this.#decoded.clear();
    this.dropZoom();
  }

  /** Back on screen: decode the window again. */
  resume(): void {
    this.#suspended = false;
    this.setCenter(this.#center.row, this.#center.frame);
  }

  /** Everything goes: downloads aborted, images closed, bytes dropped. */
  destroy(): void {
    this.#released = true;
    this.#abort.abort();
    this.suspend();
    for (const d of this.#sprites.values()) release(d);
    this.#sprites.clear();
    this.#blobs.clear();
    this.#queue = [];
  }
}
