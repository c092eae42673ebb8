/** SSIM moved to the pipeline (pipeline/core/ssim.ts: the fidelity check uses it); the bench scripts and tests still import it from here. */
export * from '../pipeline/core/ssim.js';
