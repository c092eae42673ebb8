/**
 * The catalogue page (`<site>/index.html`): one card per product (poster, name, stars, producer, place,
 * category), with search and filters by province, category and stars. It works opened straight from
 * the disk (file://) and without JavaScript: the cards are in the HTML, and a small inline script only
 * hides the ones that do not match. The search ignores diacritics and case ("che shan" finds "Chè Shan").
 */
import type { Product } from '../../schema/product.js';
import { html, trusted } from '../core/html.js';
import { place, starsText } from './page.js';

export interface CatalogueEntry {
  product: Product;
  /** The card picture, relative to the site root. */
  thumb: string;
  thumbWidth: number;
  thumbHeight: number;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1d1d1f;background:#fafaf7}
header,main{max-width:1180px;margin:0 auto;padding:12px 16px}
h1{margin:.2em 0;font-size:1.6em}
form{display:flex;flex-wrap:wrap;gap:8px}
form label{display:flex;flex-direction:column;font-size:.85em;color:#555;flex:1 1 150px}
input,select{font:inherit;padding:.45em .6em;border:1px solid #bbb;border-radius:8px;background:#fff;min-height:44px}
.count{color:#555;margin:.6em 0}
ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:16px}
li a{display:block;height:100%;padding:10px;border-radius:12px;background:#fff;color:inherit;text-decoration:none;box-shadow:0 1px 3px #0002}
li a:focus-visible,li a:hover{outline:3px solid #0b5cad}
li img{width:100%;height:auto;aspect-ratio:1;object-fit:contain;background:#fff}
li h2{font-size:1.05em;margin:.3em 0 .1em}
.stars{color:#c98a00}
li p{margin:0;font-size:.9em;color:#444}
[hidden]{display:none!important}
`;

/** The filter: plain ES5-level script, inline, so it runs from file:// and in any browser. */
const SCRIPT = `
(function () {
  var form = document.getElementById('filters');
  var cards = Array.prototype.slice.call(document.querySelectorAll('[data-search]'));
  var count = document.getElementById('count');
  function fold(s) {
    return s.normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
  }
  function apply() {
    var q = fold(form.q.value).split(/\\s+/).filter(Boolean);
    var province = form.province.value, category = form.category.value, stars = Number(form.stars.value || 0);
    var shown = 0;
    cards.forEach(function (li) {
      var text = li.getAttribute('data-search');
      var ok = q.every(function (w) { return text.indexOf(w) >= 0; }) &&
        (!province || li.getAttribute('data-province') === province) &&
        (!category || li.getAttribute('data-category') === category) &&
        Number(li.getAttribute('data-stars')) >= stars;
      li.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + ' / ' + cards.length + ' sản phẩm';
  }
  form.addEventListener('input', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  form.hidden = false;
  apply();
})();
`;

function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
}

const collator = new Intl.Collator('vi');

export function cataloguePage(entries: CatalogueEntry[], opts: { title: string; generator: string }): string {
  const sorted = [...entries].sort((a, b) => b.product.ocop.stars - a.product.ocop.stars || collator.compare(a.product.name.vi, b.product.name.vi));
  const provinces = [...new Set(entries.map((e) => e.product.producer.province))].sort(collator.compare);
  const categories = [...new Set(entries.map((e) => e.product.category))].sort(collator.compare);
  const sample = entries.some((e) => e.product.sample);
  const cards = sorted.map(({ product: p, thumb, thumbWidth, thumbHeight }) => {
    const search = fold([p.name.vi, p.name.en ?? '', p.producer.name, place(p), p.category, p.id].join(' '));
    return html`<li data-search="${search}" data-province="${p.producer.province}" data-category="${p.category}" data-stars="${p.ocop.stars}"><a href="${p.id}/"><img src="${thumb}" alt="" width="${thumbWidth}" height="${thumbHeight}" loading="lazy"><h2>${p.name.vi}</h2><p class="stars" aria-label="OCOP ${p.ocop.stars} sao">${starsText(p.ocop.stars)}</p><p>${p.producer.name}</p><p>${place(p)} · ${p.category}</p></a></li>`;
  });
  return html`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${opts.title}</title>
<meta name="generator" content="${opts.generator}">
<style>${trusted(STYLE)}</style>
</head>
<body>
<header>
<h1>${opts.title}</h1>
${sample ? html`<p role="note">Dữ liệu mẫu: các sản phẩm dưới đây là hư cấu, chỉ để minh hoạ. <span lang="en">(Sample data, made up for a demo.)</span></p>` : ''}
<form id="filters" role="search" hidden>
<label>Tìm kiếm<input name="q" type="search" placeholder="Tên, nhà sản xuất, địa phương…" autocomplete="off"></label>
<label>Tỉnh / thành<select name="province"><option value="">Tất cả</option>${provinces.map((v) => html`<option value="${v}">${v}</option>`)}</select></label>
<label>Nhóm sản phẩm<select name="category"><option value="">Tất cả</option>${categories.map((v) => html`<option value="${v}">${v}</option>`)}</select></label>
<label>Hạng sao<select name="stars"><option value="">Tất cả</option><option value="3">từ 3 sao</option><option value="4">từ 4 sao</option><option value="5">5 sao</option></select></label>
</form>
<p class="count" id="count" aria-live="polite">${entries.length} sản phẩm</p>
</header>
<main><ul>${cards}</ul></main>
<script>${trusted(SCRIPT)}</script>
</body>
</html>
`.text;
}
