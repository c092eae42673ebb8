import { readdir, readFile, mkdtemp, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type BuildResult } from '../../../pipeline/product/build.js';
import { FolderStorage } from '../../../pipeline/core/storage.js';
import { openTurntableRenderer } from '../../../pipeline/render/render.js';
import { decodeQr } from '../../helpers/qr.js';
import { facts, makeProduct, SMALL_SPIN } from '../../helpers/products.js';
import { chromiumReason, hasChromium } from '../../helpers/browser.js';
import { ROOT } from '../../helpers/data.js';
import { boxGlb } from '../../helpers/models.js';
import { createIO } from '../../../pipeline/model/codecs.js';

const BASE = 'https://ocop.example.vn/san-pham/';
let tmp: string, catalogue: string, site: string, cache: string;
let first: BuildResult;

/** Every file under a folder with its bytes (hex sha-1 would do; the sites are small). */
async function contents(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of (await mtimes(dir)).keys()) out.set(f, (await readFile(path.join(dir, f))).toString('base64'));
  return out;
}

/** Every file under a folder with its modification time. */
async function mtimes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(path.relative(dir, p), (await stat(p)).mtimeMs);
    }
  };
  await walk(dir);
  return out;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-build-'));
  catalogue = path.join(tmp, 'catalogue');
  site = path.join(tmp, 'site');
  cache = path.join(tmp, 'cache');
  await makeProduct(path.join(catalogue, 'a'), 'che-shan-tuyet', {
    product: facts('che-shan-tuyet', {
      name: { vi: 'Chè Shan tuyết cổ thụ', en: 'Ancient Shan tuyet tea' },
      category: 'Đồ uống',
      producer: { name: 'HTX Chè Lũng Phìn', kind: 'co-operative', province: 'Hà Giang' },
      price: { amount: 250000, unit: 'hộp 200 g' },
      origin: { batch: 'L-01', ingredients: ['Lá chè'], 'Độ cao': '1.200 m' },
    }),
    story: '# Chè trên núi\n\nHái **bằng tay** mỗi sớm.\n',
  });
  await makeProduct(path.join(catalogue, 'b'), 'mat-ong-ban-dia', {
    mirror: true,
    product: facts('mat-ong-ban-dia', { ocop: { stars: 3, year: 2022 }, category: 'Thực phẩm' }),
  });
  await makeProduct(path.join(catalogue, 'c'), 'nuoc-mam-phu-quoc', {
    frames: 8,
    product: facts('nuoc-mam-phu-quoc', { ocop: { stars: 5, year: 2023 }, producer: { name: 'DN Nước mắm', kind: 'enterprise', province: 'Kiên Giang' } }),
  });
  first = await build([catalogue], site, { baseUrl: BASE, cache, jobs: 2, spin: SMALL_SPIN });
}, 180_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('xoay build: a catalogue', () => {
  it('builds every product and the catalogue page', async () => {
    expect(first.failed).toBe(0);
    expect(first.built).toBe(3);
    expect(first.products.map((p) => p.ran)).toEqual([['spin'], ['spin'], ['spin']]);
    const files = await readdir(site);
    expect(files).toEqual(expect.arrayContaining(['index.html', 'viewer', 'che-shan-tuyet', 'mat-ong-ban-dia', 'nuoc-mam-phu-quoc']));
    expect(files.some((f) => f.includes('xoay-tmp'))).toBe(false);
    const index = await readFile(path.join(site, 'index.html'), 'utf8');
    for (const p of ['che-shan-tuyet/', 'mat-ong-ban-dia/', 'nuoc-mam-phu-quoc/']) expect(index).toContain(`href="${p}"`);
    expect(index).toContain('<option value="Hà Giang">Hà Giang</option>');
    expect(index).toContain('<option value="Kiên Giang">Kiên Giang</option>');
    expect(await stat(path.join(site, 'viewer/xoay-viewer.js'))).toBeTruthy();
  });

  it('a product page has the viewer, facts, story, Open Graph and JSON-LD; no QA files are published', async () => {
    const dir = path.join(site, 'che-shan-tuyet');
    const page = await readFile(path.join(dir, 'index.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>\n<html lang="vi">/);
    expect(page).toContain('<h1>Chè Shan tuyết cổ thụ</h1>');
    expect(page).toContain('<xoay-viewer src="spin/spin.json"');
    expect(page).toContain('<script type="module" src="../viewer/xoay-viewer.js"></script>');
    expect(page).toContain('★★★★☆');
    expect(page).toContain('HTX Chè Lũng Phìn');
    expect(page).toContain('250.000');
    expect(page).toContain('<strong>bằng tay</strong>');
    expect(page).toContain('<dt>Độ cao</dt><dd>1.200 m</dd>');
    expect(page).toContain(`<meta property="og:url" content="${BASE}che-shan-tuyet/">`);
    const og = /<meta property="og:image" content="([^"]+)">/.exec(page)![1]!;
    expect(og.startsWith(`${BASE}che-shan-tuyet/spin/`)).toBe(true);
    // The og:image is a real file of the page's folder.
    expect((await sharp(path.join(dir, og.slice(`${BASE}che-shan-tuyet/`.length))).metadata()).format).toBe('jpeg');
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(page)![1]!);
    expect(ld).toMatchObject({
      '@context': 'https://schema.org',
      '@type': 'Product',
      name: 'Chè Shan tuyết cổ thụ',
      sku: 'che-shan-tuyet',
      offers: { price: 250000, priceCurrency: 'VND' },
      manufacturer: { name: 'HTX Chè Lũng Phìn' },
    });
    const spinFiles = await readdir(path.join(dir, 'spin'));
    expect(spinFiles).toContain('spin.json');
    expect(spinFiles.some((f) => f.startsWith('qa.'))).toBe(false);
    const embed = await readFile(path.join(dir, 'embed.html'), 'utf8');
    expect(embed).toContain(`<script type="module" src="${BASE}viewer/xoay-viewer.js"></script>`);
    expect(embed).toContain(`src="${BASE}che-shan-tuyet/spin/spin.json"`);
  });

  it('built through storage written object by object (as an object store; no folder rename), the site and the cache are byte-for-byte the same', async () => {
    const objSite = path.join(tmp, 'site-objects'),
      objCache = path.join(tmp, 'cache-objects');
    const storage = { site: new FolderStorage(objSite, { folderRename: false }), cache: new FolderStorage(objCache, { folderRename: false }) };
    const r = await build([catalogue], objSite, { baseUrl: BASE, cache: objCache, jobs: 2, spin: SMALL_SPIN }, { storage });
    expect([r.built, r.reused, r.failed]).toEqual([3, 0, 0]);
    expect(await contents(objSite)).toEqual(await contents(site));
    // The cache too, but for the QA reports (they carry the stage's timings) and the sites' build states (one per site).
    const noQa = (m: Map<string, string>) => new Map([...m].filter(([f]) => !/\/qa\.(json|html)$/.test(f) && !f.startsWith('sites/')));
    expect(noQa(await contents(objCache))).toEqual(noQa(await contents(cache)));
    // And incremental through it: nothing changed, nothing rebuilt.
    const again = await build([catalogue], objSite, { baseUrl: BASE, cache: objCache, jobs: 2, spin: SMALL_SPIN }, { storage });
    expect([again.built, again.reused, again.failed]).toEqual([0, 3, 0]);
  }, 180_000);

  it("the QR codes (PNG and SVG) decode to the product's public URL", async () => {
    const dir = path.join(site, 'mat-ong-ban-dia');
    expect(await decodeQr(await readFile(path.join(dir, 'qr.png')))).toBe(`${BASE}mat-ong-ban-dia/`);
    const svg = await sharp(await readFile(path.join(dir, 'qr.svg')), { density: 300 })
      .png()
      .toBuffer();
    expect(await decodeQr(svg)).toBe(`${BASE}mat-ong-ban-dia/`);
  });

  it('a rebuild with nothing changed reuses every product and touches no file', async () => {
    const before = await mtimes(site);
    const again = await build([catalogue], site, { baseUrl: BASE, cache, jobs: 2, spin: SMALL_SPIN });
    expect([again.built, again.reused, again.failed]).toEqual([0, 3, 0]);
    expect(await mtimes(site)).toEqual(before);
  });

  it('changing one frame rebuilds only that product (its report and the file dates say so)', async () => {
    const before = await mtimes(site);
    const frames = (await readdir(path.join(catalogue, 'b', 'spin'))).sort();
    const frame = path.join(catalogue, 'b', 'spin', frames[3]!);
    await writeFile(frame, await sharp(frame).modulate({ brightness: 1.05 }).jpeg({ quality: 90 }).toBuffer());
    const again = await build([catalogue], site, { baseUrl: BASE, cache, jobs: 2, spin: SMALL_SPIN });
    expect(again.products.map((p) => [p.id, p.status, p.ran])).toEqual([
      ['che-shan-tuyet', 'reused', []],
      ['mat-ong-ban-dia', 'built', ['spin']],
      ['nuoc-mam-phu-quoc', 'reused', []],
    ]);
    const after = await mtimes(site);
    for (const [file, t] of before) {
      if (file.startsWith('che-shan-tuyet/') || file.startsWith('nuoc-mam-phu-quoc/') || file.startsWith('viewer/')) expect(after.get(file), file).toBe(t);
    }
    expect(after.get('mat-ong-ban-dia/index.html')).toBeGreaterThan(before.get('mat-ong-ban-dia/index.html')!);
    // Only facts changed: the page is rewritten, the spin comes from the cache.
    const facts2 = JSON.parse(await readFile(path.join(catalogue, 'c', 'product.json'), 'utf8'));
    facts2.name.vi = 'Nước mắm cá cơm Phú Quốc';
    await writeFile(path.join(catalogue, 'c', 'product.json'), JSON.stringify(facts2));
    const third = await build([catalogue], site, { baseUrl: BASE, cache, jobs: 2, spin: SMALL_SPIN });
    expect(third.products.find((p) => p.id === 'nuoc-mam-phu-quoc')).toMatchObject({ status: 'built', ran: [] });
    expect(await readFile(path.join(site, 'index.html'), 'utf8')).toContain('Nước mắm cá cơm Phú Quốc');
  }, 120_000);

  it('one broken product fails alone with a message naming its file and field; its last good page stays', async () => {
    const broken = path.join(catalogue, 'a', 'product.json');
    const good = await readFile(broken, 'utf8');
    await writeFile(broken, good.replace('"stars": 4', '"stars": 7'));
    try {
      const r = await build([catalogue], site, { baseUrl: BASE, cache, jobs: 2, spin: SMALL_SPIN });
      expect([r.built, r.reused, r.failed]).toEqual([0, 2, 1]);
      const f = r.products.find((p) => p.status === 'failed')!;
      expect(f.message).toMatch(/^build: .*a\/product\.json: ocop\.stars: expected a whole number from 3 to 5, got 7$/);
      expect(await readFile(path.join(site, 'che-shan-tuyet', 'index.html'), 'utf8')).toContain('Chè Shan tuyết cổ thụ');
    } finally {
      await writeFile(broken, good);
    }
  });

  it('two products with the same id both fail; other products still build', async () => {
    const dup = path.join(tmp, 'dup');
    await makeProduct(path.join(dup, 'x'), 'same-id', { frames: 8 });
    await makeProduct(path.join(dup, 'y'), 'same-id', { frames: 8, mirror: true });
    await makeProduct(path.join(dup, 'z'), 'other-id', { frames: 8 });
    const r = await build([dup], path.join(tmp, 'site-dup'), { baseUrl: BASE, cache, jobs: 2, spin: SMALL_SPIN });
    expect(r.products.map((p) => p.status)).toEqual(['failed', 'failed', 'built']);
    expect(r.products[0]!.message).toMatch(/id "same-id" is used by 2 products/);
  }, 60_000);

  it('two products with the same shoot build at the same time from one cache entry', async () => {
    const twins = path.join(tmp, 'twins');
    await makeProduct(path.join(twins, 'x'), 'twin-a', { frames: 8 });
    await makeProduct(path.join(twins, 'y'), 'twin-b', { frames: 8 });
    const r = await build([twins], path.join(tmp, 'site-twins'), { baseUrl: BASE, cache: path.join(tmp, 'cache-twins'), jobs: 2, spin: SMALL_SPIN });
    expect(r.products.map((p) => [p.status, p.message])).toEqual([
      ['built', undefined],
      ['built', undefined],
    ]);
    expect(await readdir(path.join(tmp, 'cache-twins', 'spin'))).toHaveLength(1);
  }, 60_000);

  it('a product with photos only: gallery, thumbnails and the first photo as poster; odd file names are URL-encoded', async () => {
    const dir = path.join(tmp, 'photos-only');
    await makeProduct(dir, 'anh-san-pham', { frames: false, story: '![ảnh](photos/tra%20%231.jpg)' });
    await mkdir(path.join(dir, 'photos'));
    const frames = (await readdir(path.join(ROOT, 'samples/stool-turntable'))).filter((f) => f.endsWith('.jpg')).sort();
    await sharp(path.join(ROOT, 'samples/stool-turntable', frames[0]!)).toFile(path.join(dir, 'photos', 'tra #1.jpg'));
    await sharp(path.join(ROOT, 'samples/stool-turntable', frames[9]!))
      .png()
      .toFile(path.join(dir, 'photos', 'tra #1.png'));
    const out = path.join(tmp, 'site-photos');
    const r = await build([dir], out, { baseUrl: BASE, cache });
    expect(r.products[0]).toMatchObject({ status: 'built', ran: ['photos'] });
    const page = await readFile(path.join(out, 'anh-san-pham', 'index.html'), 'utf8');
    expect(page).toContain(`<meta property="og:image" content="${BASE}anh-san-pham/photos/tra%20%231.jpg">`);
    expect(page).toContain('src="photos/thumbs/tra%20%231.jpg.webp"');
    expect(page).toContain('src="photos/thumbs/tra%20%231.png.webp"');
    expect(page).not.toContain('<xoay-viewer src=');
    expect(await readdir(path.join(out, 'anh-san-pham', 'photos', 'thumbs'))).toEqual(['tra #1.jpg.webp', 'tra #1.png.webp']);
    // The published photo is smaller than the frame, upright, without metadata.
    expect((await sharp(path.join(out, 'anh-san-pham', 'photos', 'tra #1.jpg')).metadata()).exif).toBeUndefined();
    // Only the story changed: the page is rewritten, the photos come from the cache.
    await writeFile(path.join(dir, 'story.md'), 'Chè **ngon**.');
    const again = await build([dir], out, { baseUrl: BASE, cache });
    expect(again.products[0]).toMatchObject({ status: 'built', ran: [] });
    expect(await readFile(path.join(out, 'anh-san-pham', 'index.html'), 'utf8')).toContain('<strong>ngon</strong>');
  }, 60_000);

  it('refuses a site folder that is not a Xoay site, and a site inside a product', async () => {
    const other = path.join(tmp, 'not-a-site');
    await mkdir(other);
    await writeFile(path.join(other, 'important.txt'), 'keep me');
    await expect(build([catalogue], other, { baseUrl: BASE, cache })).rejects.toThrow(/not-a-site: the folder exists and was not made by `xoay build`/);
    expect(await readFile(path.join(other, 'important.txt'), 'utf8')).toBe('keep me');
    await expect(build([path.join(catalogue, 'a')], path.join(catalogue, 'a', 'site'), { baseUrl: BASE, cache })).rejects.toThrow(/inside the product folder/);
    await expect(build([catalogue], site, { baseUrl: 'ocop.example.vn', cache })).rejects.toThrow(/--base-url/);
  });

  it('keeps products not in this build (printed QR codes must keep working) unless --prune', async () => {
    const r = await build([path.join(catalogue, 'a')], site, { baseUrl: BASE, cache, spin: SMALL_SPIN });
    expect(r.products.map((p) => p.status)).toEqual(['reused']);
    expect(await readFile(path.join(site, 'index.html'), 'utf8')).toContain('href="mat-ong-ban-dia/"');
    const pruned = await build([path.join(catalogue, 'a')], site, { baseUrl: BASE, cache, spin: SMALL_SPIN, prune: true });
    expect(pruned.reused).toBe(1);
    expect((await readdir(site)).filter((f) => !f.startsWith('.')).sort()).toEqual(['che-shan-tuyet', 'index.html', 'viewer']);
  });
});

/** The model stage reports (model.json) in a build's stage cache. */
async function modelReports(cacheDir: string): Promise<{ input: string; fidelity?: { pass: boolean; views: unknown[]; ssim: { worst: number } } }[]> {
  const files = (await readdir(cacheDir, { recursive: true })).filter((f) => path.basename(f) === 'model.json');
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(cacheDir, f), 'utf8'))));
}

describe.skipIf(!hasChromium)(`xoay build: a product with a model and no shoot ${chromiumReason}`, () => {
  it('gets its model compressed, a poster and a 36-frame spin rendered from the model, and an og:image', async () => {
    const dir = path.join(tmp, 'model-only');
    await makeProduct(path.join(dir, 'table'), 'ban-go', { frames: false, model: path.join(ROOT, 'samples/catalogue/ban-go-tu-nhien/model.glb') });
    const out = path.join(tmp, 'site-model');
    const r = await build([dir], out, { baseUrl: BASE, cache, spin: SMALL_SPIN, model: { textures: 'webp' }, render: { width: 256, height: 256 } });
    expect(r.products.map((p) => [p.status, p.ran, p.message])).toEqual([['built', ['model', 'render'], undefined]]);
    const page = await readFile(path.join(out, 'ban-go', 'index.html'), 'utf8');
    expect(page).toContain('<xoay-viewer src="spin/spin.json" model="model/model.glb"');
    expect(page).toContain('dựng từ mô hình 3D');
    const manifest = JSON.parse(await readFile(path.join(out, 'ban-go', 'spin', 'spin.json'), 'utf8'));
    expect(manifest.rows[0].frames).toHaveLength(36);
    const og = /<meta property="og:image" content="([^"]+)">/.exec(page)![1]!;
    const poster = await sharp(path.join(out, 'ban-go', og.slice(`${BASE}ban-go/`.length)))
      .raw()
      .toBuffer({ resolveWithObject: true });
    // The poster shows the table: plenty of pixels that are not the white backdrop.
    let object = 0;
    for (let i = 0; i < poster.data.length; i += poster.info.channels)
      if (poster.data[i]! < 200 || poster.data[i + 1]! < 200 || poster.data[i + 2]! < 200) object++;
    expect(object / (poster.info.width * poster.info.height)).toBeGreaterThan(0.1);
    expect((await stat(path.join(out, 'ban-go', 'model', 'model.glb'))).size).toBeGreaterThan(10_000);
    // The USDZ for AR Quick Look beside it (on by default), named by the viewer's ios-src with its AR button.
    expect((await stat(path.join(out, 'ban-go', 'model', 'model.usdz'))).size).toBeGreaterThan(10_000);
    expect(page).toContain('model="model/model.glb" ar ios-src="model/model.usdz"');
    // The compressed model rendered against its source (on by default), in the model stage's report.
    const [report] = (await modelReports(cache)).filter((m) => m.input.includes(`${path.sep}model-only${path.sep}`));
    expect(report!.fidelity).toMatchObject({ pass: true, threshold: { mean: 0.98, worst: 0.95 } });
    expect(report!.fidelity!.views).toHaveLength(9);
    expect(report!.fidelity!.ssim.worst).toBeGreaterThanOrEqual(0.95);
  }, 240_000);
});

describe.skipIf(!hasChromium)(`xoay build: a model whose units are not metres ${chromiumReason}`, () => {
  it('warns that AR would show it 100 m across (the USDZ is still written)', async () => {
    const glb = await boxGlb(path.join(tmp, 'huge-box.glb'));
    const io = await createIO();
    const doc = await io.read(glb);
    for (const n of doc.getRoot().listNodes()) n.setScale([100, 100, 100]);
    await io.write(glb, doc);
    const dir = await makeProduct(path.join(tmp, 'huge', 'hop'), 'hop-to', { frames: 12, model: glb });
    const events: { type: string; id?: string; message?: string }[] = [];
    const out = path.join(tmp, 'site-huge');
    const r = await build(
      [path.dirname(dir)],
      out,
      { baseUrl: BASE, cache: path.join(tmp, 'cache-huge'), spin: SMALL_SPIN, model: { textures: 'keep' }, fidelity: false },
      {
        onEvent: (e) => events.push(e),
      },
    );
    expect(r.products.map((p) => p.status)).toEqual(['built']);
    expect(events.filter((e) => e.type === 'warning' && e.message!.startsWith('model:')).map((e) => e.message)).toEqual([
      "model: 100 m across: AR shows it at this size (glTF units are metres); check the model's units",
    ]);
    expect((await stat(path.join(out, 'hop-to', 'model', 'model.usdz'))).size).toBeGreaterThan(1000);
    // Turned off: no render comparison.
    const reports = await modelReports(path.join(tmp, 'cache-huge'));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.fidelity).toBeUndefined();
  }, 240_000);
});

describe.skipIf(!hasChromium)(`xoay build --reconstruct: a product with a shoot and no model ${chromiumReason}`, () => {
  it('gets a 3D model made from its shoot; a shoot it cannot use (frames missing, no focal length), or one whose result misses the photos, keeps its spin with a warning', async () => {
    // A turntable shoot with known optics: the CC0 stool rendered at 36 views on a blue backdrop (its white paint
    // would vanish on white), as a photographer would shoot it on a contrasting sweep.
    const renderer = await openTurntableRenderer();
    const shoot = path.join(tmp, 'recon-cat', 'ghe', 'spin');
    let fov: number;
    try {
      const r = await renderer.render(new Uint8Array(await readFile(path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb'))), shoot, {
        frames: 36,
        width: 320,
        height: 320,
        background: '#2040ff',
      });
      fov = r.info.camera.fovY; // square frames: the horizontal field of view too
    } finally {
      await renderer.close();
    }
    await writeFile(path.join(tmp, 'recon-cat', 'ghe', 'product.json'), JSON.stringify(facts('ghe-tu-anh')));
    // The shoot's optics, as a photographer writes them down (spin/shoot.json).
    await writeFile(path.join(shoot, 'shoot.json'), JSON.stringify({ fov, elevation: 15 }));
    // A product whose 12 frames are not one turn in equal steps (and carry no focal length).
    await makeProduct(path.join(tmp, 'recon-cat', 'mat-ong'), 'mat-ong', { frames: 12 });
    const out = path.join(tmp, 'site-recon');
    const events: { type: string; id?: string; message?: string }[] = [];
    const opts = {
      baseUrl: BASE,
      cache: path.join(tmp, 'cache-recon'),
      spin: SMALL_SPIN,
      reconstruct: { resolution: 128, triangles: 10_000, textureSize: 256, textures: 'webp' as const },
    };
    const r = await build([path.join(tmp, 'recon-cat')], out, opts, { onEvent: (e) => events.push(e) });
    expect(r.products.map((p) => [p.id, p.status, p.ran])).toEqual([
      ['ghe-tu-anh', 'built', ['spin', 'reconstruct']],
      ['mat-ong', 'built', ['spin', 'reconstruct']],
    ]);
    const page = await readFile(path.join(out, 'ghe-tu-anh', 'index.html'), 'utf8');
    expect(page).toContain('<xoay-viewer src="spin/spin.json" model="model/model.glb"');
    expect((await stat(path.join(out, 'ghe-tu-anh', 'model', 'model.glb'))).size).toBeGreaterThan(10_000);
    expect(page).toContain('ios-src="model/model.usdz"');
    expect(events.filter((e) => e.type === 'warning' && e.id === 'ghe-tu-anh')).toEqual([]);
    // A shoot it cannot use: the spin only, and the reason.
    const plain = await readFile(path.join(out, 'mat-ong', 'index.html'), 'utf8');
    expect(plain).not.toContain('model=');
    expect(await readdir(path.join(out, 'mat-ong'))).not.toContain('model');
    const why = events.filter((e) => e.type === 'warning' && e.id === 'mat-ong' && e.message!.startsWith('no 3D model from the shoot:')).map((e) => e.message);
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(/^no 3D model from the shoot: (cameras|ingest): .*(focal length|not evenly spaced)/);
    // A wrong focal length carves away the object: the result misses the photos and is not made.
    const later: typeof events = [];
    const wrong = await build(
      [path.join(tmp, 'recon-cat', 'ghe')],
      path.join(tmp, 'site-recon-wrong'),
      { ...opts, reconstruct: { ...opts.reconstruct, fov: fov * 2.5 } } /* --fov wins over shoot.json */,
      { onEvent: (e) => later.push(e) },
    );
    expect(wrong.products.map((p) => p.status)).toEqual(['built']);
    expect(await readFile(path.join(tmp, 'site-recon-wrong', 'ghe-tu-anh', 'index.html'), 'utf8')).not.toContain('model=');
    const warned = later.filter((e) => e.type === 'warning');
    expect(warned, JSON.stringify(later)).toHaveLength(1);
    expect(warned[0]!.message).toMatch(
      /^no 3D model from the shoot: reconstruct: .*: the carved shape does not explain the photos: .*at least 0\.9 needed\)\. Either the views are not one turn in equal steps.*or the focal length/,
    );
  }, 300_000);
});
