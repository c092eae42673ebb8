/**
 * `xoay render <model> -o <file>`: the picture it writes is the one `<xoay-viewer>`.toBlob gives in Chromium for the same
 * settings (SSIM > 0.99, in the same test), as PNG, with --json; bad input and options fail with
 * `xoay render: <file>: <problem>` (and {"error":…} with --json), leaving no file behind.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssim, type RawImage } from '../../pipeline/core/ssim.js';
import { buildViewer, chromiumReason, hasChromium, launchChromium, startServer, viewerPage } from '../helpers/browser.js';
import { xoay } from '../helpers/cli.js';
import { dataSet } from '../helpers/data.js';

const cert = dataSet('cert');
const CUBES = path.join(cert.dir, 'AnalyticalCubes/AnalyticalCubes.glb');
let tmp = '';
let viewer = '';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xoay-render-cli-'));
  viewer = path.join(tmp, 'viewer');
  // The CLI draws with this viewer too (a config file), so both sides run the same build.
  await Promise.all([
    hasChromium ? buildViewer(viewer) : undefined,
    writeFile(path.join(tmp, 'xoay.config.json'), JSON.stringify({ render: { viewerDir: viewer } })),
  ]);
}, 300_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function raw(bytes: Buffer | string): Promise<RawImage> {
  const { data, info } = await sharp(bytes).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

describe.skipIf(!hasChromium || !cert.present)(`xoay render ${chromiumReason} ${cert.reason}`, () => {
  it('writes the picture the viewer’s toBlob gives for the same settings (SSIM > 0.99), and --json says what it wrote', async () => {
    const out = path.join(tmp, 'cubes.png');
    const [r, fromViewer] = await Promise.all([
      xoay(
        [
          'render',
          CUBES,
          '-o',
          out,
          '--width',
          '320',
          '--height',
          '240',
          '--camera-orbit',
          '40deg 60deg 150%',
          '--exposure',
          '1.5',
          '--shadow-intensity',
          '1',
          '--json',
        ],
        { cwd: tmp },
      ),
      (async () => {
        const [browser, server] = await Promise.all([launchChromium(), startServer({ '/viewer/': viewer, '/cert/': cert.dir })]);
        try {
          server.pages.set(
            '/v.html',
            viewerPage(
              '<xoay-viewer id="v" mode="3d" loading="eager" model="/cert/AnalyticalCubes/AnalyticalCubes.glb" camera-orbit="40deg 60deg 150%" exposure="1.5" shadow-intensity="1" style="width:320px;height:240px;aspect-ratio:auto;margin:0"></xoay-viewer>',
            ),
          );
          const page = await browser.desktop.newPage();
          await page.goto(`${server.origin}/v.html`);
          const base64 = await page.evaluate(async () => {
            const v = document.getElementById('v') as HTMLElement & { viewer: { ready: Promise<void> }; toBlob(o?: unknown): Promise<Blob> };
            while (!v.viewer) await new Promise((r) => setTimeout(r, 20));
            await v.viewer.ready;
            const b = new Uint8Array(await (await v.toBlob({ width: 320, height: 240 })).arrayBuffer());
            let s = '';
            for (const c of b) s += String.fromCharCode(c);
            return btoa(s);
          });
          return Buffer.from(base64, 'base64');
        } finally {
          await browser.close();
          await server.close();
        }
      })(),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { output: string; width: number; height: number; mimeType: string; bytes: number };
    expect(result).toMatchObject({ output: out, width: 320, height: 240, mimeType: 'image/png' });
    expect(await sharp(out).metadata()).toMatchObject({ format: 'png', width: 320, height: 240 });
    const score = ssim(await raw(out), await raw(fromViewer));
    console.log(`xoay render vs toBlob: SSIM ${score.toFixed(4)}`);
    expect(score).toBeGreaterThan(0.99);
    expect((await readdir(tmp)).filter((n) => n.includes('xoay-tmp'))).toEqual([]);
    // An existing output is kept unless --force.
    const again = await xoay(['render', CUBES, '-o', out], { cwd: tmp });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`xoay render: ${out}: the output already exists; pass --force (force: true) to replace it\n`);
  }, 300_000);

  it('a camera-orbit that does not parse fails with the viewer’s message, and no file', async () => {
    const out = path.join(tmp, 'bad-orbit.webp');
    const r = await xoay(['render', CUBES, '-o', out, '--camera-orbit', '10deg sideways', '--width', '64', '--height', '64'], { cwd: tmp });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^xoay render: .*AnalyticalCubes\.glb: camera-orbit \(φ\) must be an angle such as 30deg or 0\.5rad; got "sideways"\n$/);
    expect(existsSync(out)).toBe(false);
  }, 300_000);
});

describe('xoay render: bad input and options, before any browser', () => {
  const cases: [string, string[], RegExp, number][] = [
    ['a missing model', ['render', 'nope.glb', '-o', 'x.png'], /^xoay render: .*nope\.glb: no such file\n$/, 1],
    ['a model that is not glTF', ['render', 'not-a-model.glb', '-o', 'x.png'], /^xoay render: .*not-a-model\.glb: is not a GLB or glTF file\n$/, 1],
    ['an output type it cannot write', ['render', CUBES, '-o', 'x.gif'], /^xoay render: .*x\.gif: the output must end in \.png, \.jpg, \.jpeg or \.webp\n$/, 2],
    [
      'a width out of range',
      ['render', CUBES, '-o', 'x.png', '--width', '5'],
      /^xoay render: option '--width <px>' argument '5' is invalid\. --width must be an integer 16–4096, got "5"\n$/,
      2,
    ],
    [
      'a missing environment image',
      ['render', CUBES, '-o', 'x.png', '--environment-image', 'missing.hdr'],
      /^xoay render: .*missing\.hdr: no such environment image\n$/,
      1,
    ],
    ['no output', ['render', CUBES], /^xoay render: missing -o, --output <file>/, 2],
  ];
  for (const [what, args, message, code] of cases) {
    it(`${what}: ${message}`, async () => {
      await writeFile(path.join(tmp, 'not-a-model.glb'), 'hello');
      const r = await xoay(args, { cwd: tmp });
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(code);
      expect(existsSync(path.join(tmp, 'x.png'))).toBe(false);
    });
  }

  it('--json: the error as one JSON document on stdout', async () => {
    const r = await xoay(['render', 'nope.glb', '-o', 'x.png', '--json'], { cwd: tmp });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'INPUT_MISSING', message: 'no such file', file: path.join(tmp, 'nope.glb') } });
  });
});
