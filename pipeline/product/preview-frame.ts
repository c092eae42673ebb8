/**
 * The frame switch of `xoay preview` (pipeline/product/preview.ts): the product page in an iframe at phone, tablet or
 * desktop size, links to the site's pages, and the build status (live, from the status events).
 */
import { html, jsonInScript, trusted } from '../core/html.js';
import { FolderStorage } from '../core/storage.js';
import { readStamp, siteState } from './site.js';
import { type PreviewStatus, STATUS_TEXT, statusText } from './preview-status.js';

/** The frame switch's sizes (CSS pixels). */
const FRAMES = [
  { name: 'Phone', width: 390, height: 844 },
  { name: 'Tablet', width: 820, height: 1180 },
  { name: 'Desktop', width: 1366, height: 800 },
] as const;

/** A product of the served site, for the frame switch's links. */
interface SiteProduct {
  id: string;
  name: string;
}

/** The products in the served site (folders with a page; their names from the build state, when it is in `cacheDir`). */
async function siteProducts(site: string, cacheDir: string): Promise<SiteProduct[]> {
  const out: SiteProduct[] = [];
  const storage = new FolderStorage(site);
  const state = siteState(new FolderStorage(cacheDir), storage);
  for (const name of await storage.list('').catch(() => [] as string[])) {
    if (!name.endsWith('/') || name === 'viewer/') continue;
    const id = name.slice(0, -1);
    if (!(await storage.exists(`${id}/index.html`))) continue;
    // A site built with another cache has no state here: its products are named by their ids.
    const stamp = await readStamp(state, id);
    out.push({ id, name: stamp?.product?.name?.vi ?? id });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The frame switch page for the page asked for (its `page` query, or null), the site's products linked (`cacheDir`: the
 * stage cache, beside which the build keeps the products' names). `oneProduct`:
 * the preview is of one product folder, whose page the frame shows first.
 */
export function frameSwitch(site: string, cacheDir: string, status: () => PreviewStatus, oneProduct: boolean): (asked: string | null) => Promise<string> {
  return async (asked) => {
    const products = await siteProducts(site, cacheDir);
    const single = oneProduct ? (status().products[0]?.id ?? products[0]?.id) : undefined;
    return frameHtml(startPage(asked, single), products, status());
  };
}

/**
 * The page the frame shows first: the one `asked` for (only a path on this server may be framed), else the product
 * when there is one (`single`), else the catalogue.
 */
function startPage(asked: string | null, single: string | undefined): string {
  return asked && /^\/(?![/\\])[^\s"'<>]*$/.test(asked) ? asked : single ? `/${single}/` : '/index.html';
}

/** The frame switch's style. */
const FRAME_STYLE = trusted(`*{box-sizing:border-box}
html,body{height:100%}
body{margin:0;display:flex;flex-direction:column;background:#e7e8ec;color:#1c1c1e;font:14px/1.4 system-ui,sans-serif}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 1rem;background:#fff;border-bottom:1px solid #c8c8cc}
header h1{font-size:1rem;margin:0}
[role=group]{display:flex;gap:.25rem}
button{font:inherit;padding:.35rem .75rem;border:1px solid #8e8e93;border-radius:6px;background:#fff;color:inherit;cursor:pointer}
button[aria-pressed=true]{background:#1d4ed8;border-color:#1d4ed8;color:#fff}
button small{opacity:.75}
a{color:#1d4ed8}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
nav{display:flex;flex-wrap:wrap;gap:.25rem .75rem}
#status{margin-left:auto;white-space:pre-wrap;max-width:40em}
#status[data-state=error]{color:#b91c1c;font-weight:600}
main{flex:1;min-height:0;overflow:hidden;display:flex;justify-content:center;padding:16px}
.device{flex:none;align-self:flex-start;transform-origin:top center;padding:12px;border-radius:22px;background:#1c1c1e;box-shadow:0 6px 28px rgba(0,0,0,.3)}
iframe{display:block;border:0;border-radius:10px;background:#fff}
`);

/**
 * The frame switch's script: a button (or the keys 1, 2, 3) sizes the iframe, which is scaled down to fit the window;
 * the status line follows the status events, in the words of STATUS_TEXT.
 */
const FRAME_SCRIPT = trusted(`(() => {
  const frame = document.querySelector('iframe');
  const device = document.getElementById('device');
  const main = document.querySelector('main');
  const buttons = [...document.querySelectorAll('[role=group] button')];
  const statusLine = document.getElementById('status');
  const alone = document.getElementById('alone');
  let current = buttons[0];
  // Larger than the window: scaled down to fit (the page still lays out at the device's width).
  const fit = () => {
    const w = Number(current.dataset.width) + 24, h = Number(current.dataset.height) + 24;
    const scale = Math.min(1, (main.clientWidth - 32) / w, (main.clientHeight - 32) / h);
    device.style.transform = scale < 1 ? 'scale(' + scale + ')' : '';
  };
  const choose = (b) => {
    current = b;
    for (const x of buttons) x.setAttribute('aria-pressed', String(x === b));
    frame.width = b.dataset.width;
    frame.height = b.dataset.height;
    try { sessionStorage.setItem('xoay-preview-frame', String(buttons.indexOf(b))); } catch {}
    fit();
  };
  buttons.forEach((b) => b.addEventListener('click', () => choose(b)));
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target instanceof HTMLInputElement) return;
    const b = buttons[Number(e.key) - 1];
    if (b) { choose(b); b.focus(); }
  });
  addEventListener('resize', fit);
  let saved = null;
  try { saved = sessionStorage.getItem('xoay-preview-frame'); } catch {}
  choose(buttons[Number(saved)] || buttons[0]);
  frame.addEventListener('load', () => {
    try { alone.href = frame.contentWindow.location.pathname + frame.contentWindow.location.search; } catch {}
  });
  const words = ${jsonInScript(STATUS_TEXT).text};
  const text = (s) => s.state === 'building' ? words.building : s.state === 'error' ? words.error + '\\n' + (s.message || '') : words.ok + ' (' + new Date(s.at).toLocaleTimeString() + ')';
  if (window.EventSource) {
    const es = new EventSource('/__xoay/events');
    es.onmessage = (m) => { const s = JSON.parse(m.data); statusLine.dataset.state = s.state; statusLine.textContent = text(s); };
  }
})();
`);

/** The frame switch: buttons that size an iframe of the page like a phone, a tablet or a desktop screen. */
function frameHtml(start: string, products: SiteProduct[], status: PreviewStatus): string {
  const buttons = FRAMES.map(
    (f, i) =>
      html`<button type="button" data-width="${f.width}" data-height="${f.height}" aria-pressed="${String(i === 0)}" aria-keyshortcuts="${i + 1}">${f.name} <small>${f.width}×${f.height}</small></button>`,
  );
  const links = [
    html`<a href="/index.html" target="page">Catalogue</a>`,
    ...products.map((p) => html` <a href="/${encodeURIComponent(p.id)}/" target="page">${p.name}</a>`),
  ];
  const first = FRAMES[0];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>xoay preview</title>
<style>
${FRAME_STYLE}</style>
</head>
<body>
<header>
<h1>xoay preview</h1>
<div role="group" aria-label="Screen size">${buttons}</div>
<nav aria-label="Pages">${links} <a id="alone" href="${start}">Open without the frame</a></nav>
<p id="status" role="status" data-state="${status.state}">${statusText(status)}</p>
</header>
<main><div class="device" id="device"><iframe name="page" title="The page as published" src="${start}" width="${first.width}" height="${first.height}"></iframe></div></main>
<script>
${FRAME_SCRIPT}</script>
</body>
</html>
`.text;
}
