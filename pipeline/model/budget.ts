/**
 * Budgets from the Khronos 3D Commerce asset guidelines: the limits a product model must meet on a
 * phone or a desktop, and a verdict that names each limit not met and why.
 */
import type { ModelStats } from './inspect.js';
import type { MergeResult } from './merge.js';
import type { BudgetName } from './choices.js';

export { BUDGET_NAMES, type BudgetName } from './choices.js';

export interface Budget {
  /** Largest GLB, bytes. */
  bytes: number;
  /** Most triangles. */
  triangles: number;
  /** Fewer draw calls than this. */
  drawCalls: number;
  /** Largest texture side. */
  textureSize: number;
  /** GPU memory all textures may take once decoded, bytes (mips included; what the texture policy works to). */
  gpuTextureBytes: number;
}

export const BUDGETS: Record<Exclude<BudgetName, 'none'>, Budget> = {
  mobile: { bytes: 3 * 1024 * 1024, triangles: 150_000, drawCalls: 20, textureSize: 2048, gpuTextureBytes: 64 * 2 ** 20 },
  desktop: { bytes: 15 * 1024 * 1024, triangles: 250_000, drawCalls: 100, textureSize: 4096, gpuTextureBytes: 256 * 2 ** 20 },
};

export interface BudgetVerdict {
  budget: BudgetName;
  ok: boolean;
  /** One sentence per limit not met: the figure, the limit, and what would meet it. */
  failures: string[];
}

export function checkBudget(name: BudgetName, stats: ModelStats, bytes: number, simplifyError: number, merged?: MergeResult): BudgetVerdict {
  if (name === 'none') return { budget: name, ok: true, failures: [] };
  const b = BUDGETS[name];
  const failures: string[] = [];
  if (stats.drawnTriangles > b.triangles) {
    failures.push(
      `${stats.drawnTriangles} triangles drawn > ${b.triangles}: simplification stopped at the error bound (${simplifyError}); allow more with --max-error`,
    );
  }
  if (stats.drawCalls >= b.drawCalls) {
    const why =
      merged?.note ??
      (merged?.steps.length
        ? `still this many after merging (${merged.steps.join(', ')}): the parts differ in vertex attributes or modes`
        : 'meshes and materials were kept separate (--merge never); --merge auto or always joins them');
    failures.push(`${stats.drawCalls} draw calls ≥ ${b.drawCalls}: ${why}`);
  }
  const big = stats.textures.filter((t) => Math.max(t.width, t.height) > b.textureSize);
  if (big.length) failures.push(`${big.length} texture(s) over ${b.textureSize} px (${big.map((t) => `${t.name} ${t.width}×${t.height}`).join(', ')})`);
  const gpu = stats.textures.reduce((n, t) => n + t.gpuBytes, 0);
  if (gpu > b.gpuTextureBytes)
    failures.push(
      `textures take ${(gpu / 2 ** 20).toFixed(1)} MiB of GPU memory > ${b.gpuTextureBytes / 2 ** 20} MiB: --textures auto or ktx2 keeps them compressed on the GPU`,
    );
  if (bytes > b.bytes)
    failures.push(`${(bytes / 1048576).toFixed(2)} MB > ${(b.bytes / 1048576).toFixed(0)} MB: lower --max-texture-size or the triangle count`);
  return { budget: name, ok: failures.length === 0, failures };
}
