/**
 * Manifest: `spin.json` (checked against its schema before it is written) and the QA contact sheet
 * `qa.html` that lets a person look at the spin before the viewer exists.
 */
import { SpinManifestSchema, type QaReport, type SpinManifest } from '../../schema/spin.js';
import { checkAgainst } from '../../schema/validate.js';
import { escapeHtml as esc } from '../core/html.js';
import { VERSION } from '../core/version.js';
import type { SpriteLayout } from './encode.js';

/** What spin.json is made of; the rest (schema, version, generator, direction) is fixed. */
export interface ManifestParts
  extends Pick<SpinManifest, 'width' | 'height' | 'widths' | 'formats' | 'background' | 'poster' | 'posterSources' | 'placeholder'> {
  rows: {
    name: string;
    /** Camera elevation in degrees (shoot.json), or null. */
    elevation: number | null;
    /** Each frame's renditions by width and format. */
    frames: SpinManifest['rows'][number]['frames'][number]['src'][];
    /** The row's sprite files by format, and its layout. */
    sprite: { sources: { avif: string; webp: string; jpeg: string }; layout: SpriteLayout };
  }[];
}

/** spin.json, checked against its schema. */
export function spinManifest(m: ManifestParts): SpinManifest {
  return checkManifest({
    $schema: 'https://xoay.dev/schema/spin.schema.json',
    version: 1,
    generator: `xoay ${VERSION}`,
    width: m.width,
    height: m.height,
    widths: m.widths,
    formats: m.formats,
    background: m.background,
    direction: 'ccw', // --reverse reorders clockwise shoots, so frames always advance counter-clockwise
    rows: m.rows.map((r) => ({
      name: r.name,
      elevation: r.elevation,
      frames: r.frames.map((src) => ({ src })),
      sprite: { src: r.sprite.sources.jpeg, sources: r.sprite.sources, ...r.sprite.layout },
    })),
    poster: m.poster,
    posterSources: m.posterSources,
    placeholder: m.placeholder,
    placeholderType: 'thumbhash',
  });
}

export function checkManifest(m: unknown): SpinManifest {
  return checkAgainst(SpinManifestSchema, m, 'spin.json');
}

const fmt = (v: number | null, d = 2) => (v !== null && Number.isFinite(v) ? v.toFixed(d) : 'n/a');

/** Mask outlines for the QA page: SVG paths per row and frame, in a width × height box. */
export interface QaOutlines {
  width: number;
  height: number;
  paths: string[][];
}

/** A self-contained HTML page: a draggable spin from the sprite, every frame, and the QA figures. */

export function qaPage(m: SpinManifest, qa: QaReport, outlines?: QaOutlines): string {
  const width = m.widths.find((w) => w >= 256) ?? m.widths[0]!;
  const rows = m.rows
    .map((r, ri) => {
      const frames = r.frames
        .map((f, i) => {
          const d = outlines?.paths[ri]?.[i];
          const svg = d
            ? `<svg class="cut" viewBox="0 0 ${outlines!.width} ${outlines!.height}" preserveAspectRatio="none" aria-hidden="true"><path d="${esc(d)}"/></svg>`
            : '';
          return `<figure><div class="pic"><img loading="lazy" src="${esc(f.src[String(width)]?.jpeg ?? f.src[String(width)]?.webp ?? f.src[String(width)]?.avif ?? '')}" alt="row ${ri + 1} frame ${i + 1}">${svg}</div><figcaption>${i + 1}</figcaption></figure>`;
        })
        .join('');
      const q = qa.rows[ri]!;
      return `<section><h2>Row ${ri + 1}: ${esc(r.name)} (${r.frames.length} frames, ${esc(q.backdrop)} backdrop)</h2>
<div class="spin" tabindex="0" role="slider" aria-label="Row ${ri + 1}: drag or use the arrow keys to turn" aria-valuemin="1" aria-valuemax="${r.frames.length}" aria-valuenow="1"
 data-cols="${r.sprite.columns}" data-n="${r.frames.length}" style="aspect-ratio:${r.sprite.frameWidth}/${r.sprite.frameHeight};background-image:url('${esc(r.sprite.src)}');background-size:${r.sprite.columns * 100}% ${r.sprite.rows * 100}%"></div>
<div class="grid">${frames}</div></section>`;
    })
    .join('\n');
  const tr = (label: string, mm: { before: number | null; after: number | null }, unit = '%') =>
    `<tr><th>${label}</th><td>${fmt(mm.before)}${unit}</td><td>${fmt(mm.after)}${unit}</td></tr>`;
  const bytes = Object.entries(qa.bytes)
    .map(([w, f]) => `<tr><th>${w} px</th>${m.formats.map((k) => `<td>${((f[k] ?? 0) / 1024).toFixed(0)} KiB</td>`).join('')}</tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Xoay spin QA</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem;color:#222;background:#f6f6f6}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:right}th{text-align:left}
.spin{width:min(420px,100%);background-repeat:no-repeat;background-color:#fff;border:1px solid #ccc;cursor:grab;touch-action:pan-y}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:6px;margin-top:1rem}
figure{margin:0;background:#fff;border:1px solid #ddd}figure img{width:100%;display:block}figcaption{font-size:12px;text-align:center;color:#666}
.pic{position:relative}.cut{position:absolute;inset:0;width:100%;height:100%;pointer-events:none}.cut path{fill:none;stroke:#e0007a;stroke-width:1;vector-effect:non-scaling-stroke}
#outlines:not(:checked)~section .cut{display:none}
</style></head><body>
<h1>Xoay spin QA</h1>
<p>Input: <code>${esc(qa.input)}</code>, ${qa.frames} frames of ${qa.sourceWidth}×${qa.sourceHeight}. Output ${m.width}×${m.height}, widths ${m.widths.join(', ')}, formats ${m.formats.join(', ')}. “After” measured on ${esc(qa.measuredOn)}.</p>
<table><tr><th></th><th>before</th><th>after</th></tr>
${tr('Orbit (first harmonic, % width)', qa.orbit)}${tr('Jitter (% width)', qa.jitter)}${tr('Flicker (% frame to frame)', qa.flicker)}${tr('Background purity (% white)', qa.purity)}
</table>
<table><tr><th>Bytes</th>${m.formats.map((f) => `<th>${f}</th>`).join('')}</tr>${bytes}</table>
<p>Bytes before first interaction (poster + sprite): ${(qa.firstInteractionBytes / 1024).toFixed(0)} KiB.</p>
${qa.warnings.length ? `<h2>Warnings</h2><ul>${qa.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
<input type="checkbox" id="outlines" checked> <label for="outlines">Outline what was cut as object (magenta)</label>
${rows}
<script>
for (const el of document.querySelectorAll('.spin')) {
  const n = +el.dataset.n, cols = +el.dataset.cols, rows = Math.ceil(n / cols);
  let f = 0, x0 = null, f0 = 0;
  const show = (i) => { f = ((i % n) + n) % n; el.style.backgroundPosition = (cols > 1 ? (f % cols) / (cols - 1) * 100 : 0) + '% ' + (rows > 1 ? Math.floor(f / cols) / (rows - 1) * 100 : 0) + '%'; el.setAttribute('aria-valuenow', f + 1); };
  el.addEventListener('pointerdown', (e) => { x0 = e.clientX; f0 = f; el.setPointerCapture(e.pointerId); });
  el.addEventListener('pointermove', (e) => { if (x0 !== null) show(f0 + Math.round((x0 - e.clientX) / (el.clientWidth / n) )); });
  el.addEventListener('pointerup', () => { x0 = null; });
  el.addEventListener('keydown', (e) => { if (e.key === 'ArrowLeft') show(f - 1); if (e.key === 'ArrowRight') show(f + 1); });
  show(0);
}
</script>
</body></html>
`;
}
