/**
 * Drawing a spin on a canvas: the frame (or its cell of the row's sprite while the frame loads) fitted inside the
 * element, sharp on high-DPI screens (the canvas backing store is CSS size × devicePixelRatio), with zoom and pan.
 */
import type { Drawable } from './frame-store.js';

export interface View {
  /** 1 = fit; > 1 zoomed in. */
  zoom: number;
  /** Zoom centre as a fraction of the image (0…1), what stays under the pointer. */
  cx: number;
  cy: number;
}

export interface Cell {
  image: Drawable;
  sx: number;
  sy: number;
  sw: number;
  sh: number;
}

export const MAX_ZOOM = 4;

/** The destination rectangle of an image of aspect `aspect` fitted (contain) into w×h, zoomed around (cx, cy). */
export function fitRect(w: number, h: number, aspect: number, view: View): { x: number; y: number; w: number; h: number } {
  let dw = w,
    dh = w / aspect;
  if (dh > h) {
    dh = h;
    dw = h * aspect;
  }
  dw *= view.zoom;
  dh *= view.zoom;
  // Keep the zoom centre in the middle of the element, but never show past the image's edges.
  let x = w / 2 - view.cx * dw;
  let y = h / 2 - view.cy * dh;
  x = dw <= w ? (w - dw) / 2 : Math.min(0, Math.max(w - dw, x));
  y = dh <= h ? (h - dh) / 2 : Math.min(0, Math.max(h - dh, y));
  return { x, y, w: dw, h: dh };
}

/**
 * Clamps the zoom centre to what can be shown in a w×h element: the centre stays where the zoomed image still covers
 * the element on that axis (an axis the image does not fill stays centred), so a pan past an edge never builds up a
 * hidden offset. Without a size the image is taken to fill the element.
 */
export function clampView(view: View, w = 1, h = 1, aspect = w / h): View {
  const zoom = Math.min(MAX_ZOOM, Math.max(1, view.zoom));
  const { w: dw, h: dh } = fitRect(w, h, aspect, { zoom, cx: 0.5, cy: 0.5 });
  const axis = (c: number, size: number, drawn: number) => {
    const half = size / (2 * drawn);
    return half >= 0.5 ? 0.5 : Math.min(1 - half, Math.max(half, c));
  };
  return { zoom, cx: axis(view.cx, w, dw), cy: axis(view.cy, h, dh) };
}

export class Renderer {
  readonly canvas: HTMLCanvasElement;
  #ctx: CanvasRenderingContext2D;
  #cssW = 0;
  #cssH = 0;
  #dpr = 1;
  #aspect: number;
  #background: string | null;

  constructor(canvas: HTMLCanvasElement, aspect: number, background: string | null) {
    this.canvas = canvas;
    const ctx = canvas.getContext('2d', { alpha: background === null });
    if (!ctx) throw new Error('xoay-viewer: no 2D canvas');
    this.#ctx = ctx;
    this.#aspect = aspect;
    this.#background = background;
  }

  /** Matches the backing store to the element's size × devicePixelRatio (capped at 3). Returns whether it changed. */
  resize(cssW: number, cssH: number, dpr: number): boolean {
    const d = Math.min(3, Math.max(1, dpr || 1));
    if (cssW === this.#cssW && cssH === this.#cssH && d === this.#dpr) return false;
    this.#cssW = cssW;
    this.#cssH = cssH;
    this.#dpr = d;
    this.canvas.width = Math.max(1, Math.round(cssW * d));
    this.canvas.height = Math.max(1, Math.round(cssH * d));
    return true;
  }

  get size(): { width: number; height: number; dpr: number } {
    return { width: this.#cssW, height: this.#cssH, dpr: this.#dpr };
  }

  /** The image rectangle in CSS pixels for a view (for pointer maths). */
  imageRect(view: View) {
    return fitRect(this.#cssW, this.#cssH, this.#aspect, view);
  }

  draw(source: Drawable | Cell | undefined, view: View): void {
    const ctx = this.#ctx,
      canvas = this.canvas;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (this.#background) {
      ctx.fillStyle = this.#background;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    } else ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!source) return;
    const r = fitRect(this.#cssW, this.#cssH, this.#aspect, view);
    ctx.setTransform(this.#dpr, 0, 0, this.#dpr, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    if ('sx' in source) ctx.drawImage(source.image, source.sx, source.sy, source.sw, source.sh, r.x, r.y, r.w, r.h);
    else ctx.drawImage(source, r.x, r.y, r.w, r.h);
  }
}
