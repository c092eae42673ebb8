/**
 * `npm run demo`: the main job on the bundled CC0 samples. Turns samples/stool-turntable into a spin and
 * samples/stool-model into a compressed GLB, writes a page with `<xoay-viewer>` showing both (out/demo/, written
 * atomically), prints where everything is, then serves it on http://127.0.0.1:4173/ until Ctrl-C.
 *
 *   npm run demo                    # build, write out/demo/, serve it
 *   npm run demo -- --no-serve      # only write it
 *   npm run demo -- --port 8080
 */
import { cp, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openOutput } from '../pipeline/core/fsout.js';
import { model } from '../pipeline/model/model.js';
import { spin } from '../pipeline/spin/spin.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm',
  '.glb': 'model/gltf-binary', '.avif': 'image/avif', '.webp': 'image/webp', '.jpg': 'image/jpeg', '.map': 'application/json',
};

const PAGE = `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Xoay demo: ghế gỗ sơn (painted wooden stool)</title>
<script type="module" src="viewer/xoay-viewer.js"></script>
<style>
  body { margin: 0 auto; max-width: 760px; padding: 16px; font: 16px/1.5 system-ui, sans-serif; color: #222; }
  xoay-viewer { width: 100%; margin: 16px 0; border-radius: 8px; }
  code { background: #f3f3f3; padding: 0 .3em; border-radius: 3px; }
</style>
</head>
<body>
<h1>Ghế gỗ sơn <small>(painted wooden stool)</small></h1>
<p>Drag or swipe to turn it; arrow keys, Home/End; double-click or pinch to zoom; <kbd>F</kbd> for full screen.
The 3D button shows the compressed model.</p>
<xoay-viewer src="spin/spin.json" model="model/model.glb" alt="Painted wooden stool, turning" autoplay loading="eager"></xoay-viewer>
<p>Spin: <code>spin/spin.json</code> (QA report: <a href="spin/qa.html">spin/qa.html</a>). Model: <code>model/model.glb</code>
(report: <a href="model/model.json">model/model.json</a>). Samples: Poly Haven, CC0.</p>
</body>
</html>
`;

function serve(dir: string, port: number): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let file = path.resolve(dir, '.' + decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const port = Number(args[args.indexOf('--port') + 1] ?? 4173) || 4173;
  const target = path.join(ROOT, 'out/demo');
  const out = await openOutput(target, { stage: 'demo', inputs: [path.join(ROOT, 'samples')], force: true });
  try {
    process.stderr.write('demo: spin of samples/stool-turntable …\n');
    await spin(path.join(ROOT, 'samples/stool-turntable'), path.join(out.dir, 'spin'));
    process.stderr.write('demo: model of samples/stool-model …\n');
    const { report } = await model(path.join(ROOT, 'samples/stool-model/painted_wooden_stool_1k.glb'), path.join(out.dir, 'model'));
    await cp(path.join(ROOT, 'dist/viewer'), path.join(out.dir, 'viewer'), { recursive: true });
    await out.write('index.html', PAGE);
    await out.commit();
    process.stderr.write(
      [
        `demo: written ${path.relative(process.cwd(), target) || target}/`,
        `  index.html      the product page with <xoay-viewer> (spin + 3D)`,
        `  spin/           spin.json, frames, sprite, qa.html`,
        `  model/          model.glb (${(report.bytes.output / 1024).toFixed(0)} KiB, ${report.after.textures[0]?.mimeType ?? 'no textures'}), model.json`,
        `  viewer/         the embeddable viewer (xoay-viewer.js, chunks, decoders)`,
        '',
      ].join('\n'),
    );
  } catch (e) {
    await out.abort();
    throw e;
  }
  if (args.includes('--no-serve')) {
    process.stderr.write(`demo: to view it, serve that folder over HTTP (e.g. npm run demo) and open index.html\n`);
    return;
  }
  await serve(target, port);
  process.stderr.write(`demo: serving on http://127.0.0.1:${port}/ (Ctrl-C to stop)\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`demo: ${e.message}\n`);
  process.exit(1);
});
