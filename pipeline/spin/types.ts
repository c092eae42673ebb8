/**
 * The in-memory data that flows through the spin stages. Files are only read at the edges
 * (ingest, the render step) and pixels are streamed one frame at a time.
 */
import type { FrameRef } from '../core/frames.js';

export type { FrameRef };

export interface SpinRowInput {
  /** The row's folder name (or `row-N` for `--rows`). */
  name: string;
  frames: FrameRef[];
}

/** A validated shoot, ready for analysis. */
export interface SpinSet {
  /** The input folder (absolute). */
  root: string;
  rows: SpinRowInput[];
  /** Frame size shared by every frame. */
  width: number;
  height: number;
  /** Non-fatal findings (numbering gaps, ignored files), one sentence each. */
  warnings: string[];
}

/** The backdrop colour model: per channel c(u,v) = p0 + p1 u + p2 v + p3 u² + p4 v² + p5 uv, u,v ∈ [-0.5, 0.5]. */
export interface BackdropModel {
  /** Six coefficients per channel (R, G, B). */
  coeffs: [number[], number[], number[]];
  /** Robust noise level of the backdrop (RGB distance units, 0–255 scale). */
  sigma: number;
  /** Median backdrop colour over the border band. */
  median: [number, number, number];
  /** Kind inferred from the fit, for the report. */
  kind: 'white' | 'grey' | 'black' | 'coloured' | 'gradient';
}

/** What the analysis of one frame found (at analysis resolution). */
export interface FrameAnalysis {
  /** Analysis image size. */
  width: number;
  height: number;
  /** Scale from source pixels to analysis pixels (analysis = source × scale). */
  scale: number;
  backdrop: BackdropModel;
  /** The analysis image itself, RGB, width × height × 3 (kept for the exposure ratios). */
  pixels: Uint8Array;
  /** Binary object mask (1 = object), after noise removal, width × height. */
  mask: Uint8Array;
  /** Object box in analysis pixels (x0, y0 inclusive; x1, y1 exclusive). */
  box: { x0: number; y0: number; x1: number; y1: number };
  /** Object centroid in analysis pixels. */
  centre: { x: number; y: number };
  /** Object area as a fraction of the frame. */
  area: number;
  /** Pixels in the object's box that differ from the backdrop by less than the object threshold (over a third of it), per object pixel: high for a pale object on a pale sweep. */
  faint: number;
  /** Median backdrop level per channel (0–255), away from the object. */
  backdropLevel: [number, number, number];
}
