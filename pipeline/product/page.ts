/**
 * The product page (`<site>/<id>/index.html`) and its embed snippet (`embed.html`): the viewer (spin with
 * a 3D toggle), name, OCOP stars, producer and place, price, the story (sanitised Markdown),
 * traceability facts and a photo gallery; Open Graph tags and schema.org `Product` JSON-LD for link
 * previews and search engines. Every product field goes through `html` (escaped) or `jsonInScript`.
 * The page works without JavaScript too: the poster (an `<img>` in the element's light DOM) stands in for the viewer.
 */
import type { Product, ProducerKind } from '../../schema/product.js';
import type { SpinManifest } from '../../schema/spin.js';
import { html, type Html, jsonInScript, trusted } from '../core/html.js';
import { renderStory } from './story.js';

/** An image of the product page, relative to the product's folder. */
export interface PageImage {
  src: string;
  width: number;
  height: number;
  /** The same picture at other widths (`srcset` candidates: relative path and width), when there are any. */
  srcset?: { src: string; width: number }[];
}

export interface PagePhoto {
  /** The full photo (relative). */
  src: string;
  /** A small version for the gallery (relative). */
  thumb: string;
  width: number;
  height: number;
}

/** What the build produced for the page to show (paths relative to the product's folder). */
export interface PageAssets {
  /** spin/spin.json, when the product has a spin (shot, or rendered from the model). */
  spin: string | undefined;
  /** The spin's manifest (spin.json as written), carried inline by the page and the embed: no request for it. */
  spinManifest?: SpinManifest;
  /** True when the spin was rendered from the model (no shoot). */
  spinFromModel: boolean;
  /** model/model.glb, when there is a model. */
  model: string | undefined;
  /** model/model.usdz (AR Quick Look on iOS), when it was written: the viewer's ios-src, and its AR button. */
  iosSrc?: string;
  /** The poster: the viewer's first picture and the og:image. */
  poster: PageImage;
  photos: PagePhoto[];
  /** QR code (SVG) of the page's public URL. */
  qr: string;
}

export interface PageInput {
  product: Product;
  story: string | undefined;
  assets: PageAssets;
  /** The site's public address, ending in '/'. */
  baseUrl: string;
  /** The viewer script, relative to the product's folder. */
  viewer: string;
  /** The generator, for <meta name="generator">. */
  generator: string;
}

export const KIND_LABELS: Record<ProducerKind, string> = {
  'co-operative': 'Hợp tác xã',
  enterprise: 'Doanh nghiệp',
  'household business': 'Hộ kinh doanh',
  'cooperative group': 'Tổ hợp tác',
};

/** The page's public URL: base URL + id + '/'. */
export function productUrl(baseUrl: string, id: string): string {
  return new URL(`${id}/`, baseUrl).href;
}

export function place(p: Product): string {
  return [p.producer.commune, p.producer.district, p.producer.province].filter(Boolean).join(', ');
}

export function starsText(stars: number): string {
  return '★'.repeat(stars) + '☆'.repeat(5 - stars);
}

function price(p: Product): string | undefined {
  if (!p.price) return undefined;
  const currency = p.price.currency ?? 'VND';
  const amount = new Intl.NumberFormat('vi-VN', { style: 'currency', currency }).format(p.price.amount);
  return p.price.unit ? `${amount} / ${p.price.unit}` : amount;
}

function description(p: Product): string {
  return p.summary?.vi ?? `${p.name.vi}: sản phẩm OCOP ${p.ocop.stars} sao (${p.ocop.year}) của ${p.producer.name}, ${p.producer.province}.`;
}

/** Field names of traceability facts, in Vietnamese where we know them. */
const ORIGIN_LABELS: Record<string, string> = { batch: 'Lô sản xuất', harvest: 'Thu hoạch / sản xuất', ingredients: 'Thành phần / nguyên liệu' };

function originRows(p: Product): Html[] {
  if (!p.origin) return [];
  return Object.entries(p.origin).map(([k, v]) => {
    const value = Array.isArray(v) ? v.join(', ') : String(v);
    return html`<div><dt>${Object.hasOwn(ORIGIN_LABELS, k) ? ORIGIN_LABELS[k] : k}</dt><dd>${value}</dd></div>`;
  });
}

export function jsonLd(input: PageInput): unknown {
  const { product: p, assets, baseUrl } = input;
  const url = productUrl(baseUrl, p.id);
  const abs = (rel: string) => new URL(rel, url).href;
  return {
    '@context': 'https://schema.org',
    '@type': 'Product',
    '@id': `${url}#product`,
    name: p.name.vi,
    ...(p.name.en ? { alternateName: p.name.en } : {}),
    description: description(p),
    url,
    sku: p.id,
    category: p.category,
    image: [abs(assets.poster.src), ...assets.photos.map((ph) => abs(ph.src))],
    award: `OCOP ${p.ocop.stars} sao (${p.ocop.year})`,
    manufacturer: {
      '@type': 'Organization',
      name: p.producer.name,
      address: {
        '@type': 'PostalAddress',
        addressCountry: 'VN',
        addressRegion: p.producer.province,
        ...(p.producer.district ? { addressLocality: p.producer.district } : {}),
        ...(p.producer.contact?.address ? { streetAddress: p.producer.contact.address } : {}),
      },
      ...(p.producer.contact?.phone ? { telephone: p.producer.contact.phone } : {}),
      ...(p.producer.contact?.email ? { email: p.producer.contact.email } : {}),
      ...(p.producer.contact?.website ? { url: p.producer.contact.website } : {}),
    },
    ...(p.price ? { offers: { '@type': 'Offer', price: p.price.amount, priceCurrency: p.price.currency ?? 'VND', url } } : {}),
    ...(assets.model ? { subjectOf: { '@type': '3DModel', encodingFormat: 'model/gltf-binary', contentUrl: abs(assets.model), name: p.name.vi } } : {}),
  };
}

/** `sizes` of the poster: the product page lays the viewer out in its media column (548 CSS px from 860 px up, else the width less the margins); an embed's box is not known, at most 640 px is a fair guess. */
const SIZES = { page: '(min-width: 860px) 548px, calc(100vw - 32px)', embed: '(min-width: 640px) 640px, 100vw' } as const;

/**
 * The `<xoay-viewer>` tag with the poster in its light DOM: an `<img>` (srcset, sizes, width and height, alt text)
 * that shows the product wherever the viewer's script does not run (JavaScript off, a blocked or failing script URL,
 * a page opened from file://, an old browser). The element shows it (slotted) until its first frame is drawn, then
 * hides it (viewer/element/xoay-viewer.ts). Inline styles, so that it fits its box in a CMS page with no stylesheet.
 */
function viewerTag(input: PageInput, base: string, sizes: string): Html {
  const { assets, product: p } = input;
  const alt = `${p.name.vi}: xoay để xem mọi phía`;
  const poster = assets.poster;
  const srcset = poster.srcset?.length ? poster.srcset.map((c) => `${base + c.src} ${c.width}w`).join(', ') : '';
  const img = html`<img src="${base + poster.src}"${srcset ? html` srcset="${srcset}" sizes="${sizes}"` : ''} alt="${p.name.vi}" width="${poster.width}" height="${poster.height}" style="display:block;width:100%;height:auto">`;
  return html`<xoay-viewer${assets.spin ? html` src="${base + assets.spin}"` : ''}${assets.model ? html` model="${base + assets.model}" ar` : ''}${assets.iosSrc ? html` ios-src="${base + assets.iosSrc}"` : ''} poster="${base + poster.src}" alt="${alt}" style="display:block;aspect-ratio:${poster.width}/${poster.height}">${img}</xoay-viewer>`;
}

/**
 * What the viewer needs first, carried by the page so that the first drag waits for fewer round trips (page →
 * script → spin.json → sprite, in sequence, before). The manifest is inline, in a `<script type="application/json"
 * data-xoay-spin="…">` before the element (parsed before the element can start; the viewer reads it instead of
 * fetching spin.json: viewer/core/manifest.ts `inlineManifest`); `src` stays, so a viewer that finds no inline
 * manifest fetches it as before.
 */
function inlineManifest(assets: PageAssets, base: string): Html {
  if (!assets.spin || !assets.spinManifest) return html``;
  return html`<script type="application/json" data-xoay-spin="${base + assets.spin}">${jsonInScript(assets.spinManifest)}</script>`;
}

/**
 * The first row's sprite (what makes the spin draggable) preloaded at high priority, so it downloads alongside the
 * viewer's script instead of after it. `as="fetch"` with `crossorigin` is the request the viewer makes
 * (`fetch(url, { credentials: 'same-origin' })`), so the browser hands the preloaded response over. The best format
 * the spin has is preloaded (AVIF: every browser but Safari before 16.4, which would fetch its WebP as well).
 */
function preloadSprite(assets: PageAssets, base: string): Html {
  const sprite = assets.spin && assets.spinManifest?.rows[0]?.sprite;
  if (!sprite) return html``;
  const file = sprite.sources.avif ?? sprite.sources.webp ?? sprite.src;
  const href = base + assets.spin!.replace(/[^/]*$/, '') + file;
  return html`<link rel="preload" href="${href}" as="fetch" crossorigin fetchpriority="high">`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1d1d1f;background:#fafaf7}
a{color:#0b5cad}
.sample{margin:0;padding:.5em 1em;background:#fff3c4;text-align:center;font-size:.9em}
main{max-width:1080px;margin:0 auto;padding:16px;display:grid;gap:24px}
@media (min-width:860px){main{grid-template-columns:minmax(0,1.15fr) minmax(0,1fr);align-items:start}.wide{grid-column:1/-1}}
xoay-viewer{display:block;width:100%;background:#fff;border-radius:12px}
xoay-viewer img{width:100%;height:auto}
h1{margin:.1em 0;font-size:1.8em;line-height:1.2}
.en{margin:0;color:#555}
.stars{margin:.4em 0;font-size:1.4em;color:#c98a00;letter-spacing:.05em}
.stars small{font-size:.6em;color:#555;letter-spacing:0}
.facts{margin:0;display:grid;gap:.35em}
.facts div{display:grid;grid-template-columns:9.5em 1fr;gap:.6em}
dt{color:#555}dd{margin:0}
.price{font-size:1.25em;font-weight:600}
section h2{font-size:1.2em;margin:1.2em 0 .4em}
.story img{max-width:100%;height:auto}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}
.gallery img{width:100%;height:auto;border-radius:8px;background:#eee}
.qr{display:flex;gap:12px;align-items:center}.qr img{width:96px;height:96px}
footer{max-width:1080px;margin:0 auto;padding:16px;color:#666;font-size:.85em}
`;

export function productPage(input: PageInput): string {
  const { product: p, assets, baseUrl } = input;
  const url = productUrl(baseUrl, p.id);
  const title = `${p.name.vi}: OCOP ${p.ocop.stars} sao · ${p.producer.name}`;
  const where = place(p);
  const priceText = price(p);
  const facts: Html[] = [
    html`<div><dt>Nhà sản xuất</dt><dd>${p.producer.name} <small>(${KIND_LABELS[p.producer.kind]})</small></dd></div>`,
    html`<div><dt>Địa chỉ</dt><dd>${where}</dd></div>`,
    html`<div><dt>Nhóm sản phẩm</dt><dd>${p.category}</dd></div>`,
    html`<div><dt>Chứng nhận OCOP</dt><dd>${p.ocop.stars} sao, năm ${p.ocop.year}${p.ocop.certificate ? html`, số ${p.ocop.certificate}` : ''}</dd></div>`,
  ];
  const contact = p.producer.contact;
  if (contact?.phone) facts.push(html`<div><dt>Điện thoại</dt><dd><a href="tel:${contact.phone.replace(/[^+0-9]/g, '')}">${contact.phone}</a></dd></div>`);
  if (contact?.email) facts.push(html`<div><dt>Email</dt><dd><a href="mailto:${contact.email}">${contact.email}</a></dd></div>`);
  if (contact?.website) facts.push(html`<div><dt>Trang web</dt><dd><a href="${contact.website}" rel="noopener nofollow">${contact.website}</a></dd></div>`);
  if (contact?.address) facts.push(html`<div><dt>Liên hệ</dt><dd>${contact.address}</dd></div>`);
  const origin = originRows(p);
  const page = html`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
<meta name="description" content="${description(p)}">
<meta name="generator" content="${input.generator}">
<link rel="canonical" href="${url}">${openGraph(p, assets.poster, url)}
<meta name="twitter:card" content="summary_large_image">
<script type="application/ld+json">${jsonInScript(jsonLd(input))}</script>
<script type="module" src="${input.viewer}"></script>
${preloadSprite(assets, '')}
<style>${trusted(STYLE)}</style>
</head>
<body>
${p.sample ? html`<p class="sample" role="note">Dữ liệu mẫu: sản phẩm và nhà sản xuất trên trang này là hư cấu, chỉ để minh hoạ. <span lang="en">(Sample data: made up for a demo.)</span></p>` : ''}
<main>
<div class="media">${inlineManifest(assets, '')}${viewerTag(input, '', SIZES.page)}</div>
<div class="about">
<h1>${p.name.vi}</h1>
${p.name.en ? html`<p class="en" lang="en">${p.name.en}</p>` : ''}
<p class="stars" role="img" aria-label="OCOP ${p.ocop.stars} sao">${starsText(p.ocop.stars)} <small>OCOP ${p.ocop.year}</small></p>
${p.summary ? html`<p class="summary">${p.summary.vi}</p>` : ''}
${priceText ? html`<p class="price">${priceText}</p>` : ''}
<dl class="facts">${facts}</dl>
${p.links?.length ? html`<ul class="links">${p.links.map((l) => html`<li><a href="${l.url}" rel="noopener nofollow">${l.label}</a></li>`)}</ul>` : ''}
</div>
${input.story ? html`<section class="story wide"><h2>Câu chuyện sản phẩm</h2>${trusted(renderStory(input.story))}</section>` : ''}
${origin.length ? html`<section class="wide"><h2>Truy xuất nguồn gốc</h2><dl class="facts">${origin}</dl></section>` : ''}
${assets.photos.length ? html`<section class="wide"><h2>Hình ảnh</h2><div class="gallery">${assets.photos.map((ph, i) => html`<a href="${ph.src}"><img src="${ph.thumb}" width="${ph.width}" height="${ph.height}" loading="lazy" alt="${p.name.vi}: ảnh ${i + 1}"></a>`)}</div></section>` : ''}
<section class="wide qr"><img src="${assets.qr}" alt="Mã QR dẫn tới trang này" width="96" height="96"><p>Quét mã để mở trang này: <a href="${url}">${url}</a>${assets.spinFromModel ? html`<br><small>Hình xoay 360° được dựng từ mô hình 3D.</small>` : ''}</p></section>
</main>
<footer><a href="../">← Tất cả sản phẩm OCOP</a></footer>
</body>
</html>
`;
  return page.text;
}

/** The Open Graph tags of the page's link previews, each on a line of its own (after a line break). */
function openGraph(p: Product, poster: PageImage, url: string): Html {
  const tags: [string, string | number][] = [
    ['og:type', 'product'],
    ['og:locale', 'vi_VN'],
    ['og:title', p.name.vi],
    ['og:description', description(p)],
    ['og:url', url],
    ['og:image', new URL(poster.src, url).href],
    ['og:image:width', poster.width],
    ['og:image:height', poster.height],
    ['og:image:alt', p.name.vi],
  ];
  return html`${tags.map(([property, content]) => html`\n<meta property="${property}" content="${content}">`)}`;
}

/** The embed snippet for CMS editors: absolute URLs, so it works pasted into any page. */
export function embedSnippet(input: PageInput): string {
  const { product: p, baseUrl } = input;
  const url = productUrl(baseUrl, p.id);
  const viewerUrl = new URL('viewer/xoay-viewer.js', baseUrl).href;
  return html`<!-- Xoay: ${p.name.vi} (${url}). Paste into any page or CMS HTML block. The site at ${baseUrl} must allow cross-origin requests (CORS) when the page is on another domain. -->
<script type="module" src="${viewerUrl}"></script>
${preloadSprite(input.assets, url)}${inlineManifest(input.assets, url)}${viewerTag(input, url, SIZES.embed)}
`.text;
}
