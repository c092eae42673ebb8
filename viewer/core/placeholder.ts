/**
 * The placeholder: the manifest's ThumbHash drawn into a tiny canvas (stretched by CSS; no PNG encoding needed).
 * A chunk of its own, with the ThumbHash decoder: the spin viewer imports it when it starts, off the spin path.
 */
import { thumbHashToRGBA } from 'thumbhash';

export function drawPlaceholder(canvas: HTMLCanvasElement, hash: string): void {
  const s = atob(hash);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  const { w, h, rgba } = thumbHashToRGBA(bytes);
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
}
