/**
 * `npm run demo`: the main job on the bundled CC0 samples. `xoay build` turns the sample catalogue
 * (samples/catalogue: a stool with its turntable shoot and 3D model, a table with only a model, whose spin
 * and poster are rendered from it) into product pages with the viewer, a catalogue page, embed snippets and
 * QR codes in out/demo/, then serves it on http://127.0.0.1:4173/ until Ctrl-C. A second run reuses the
 * stage cache (out/.xoay-cache) and rebuilds nothing that did not change.
 *
 *   npm run demo                    # build out/demo/, serve it
 *   npm run demo -- --no-serve      # only build it
 *   npm run demo -- --port 8080     # or XOAY_DEMO_PORT=8080 npm run demo
 *
 * A port that is taken is found before anything is built or written (the site's URLs name the port).
 */
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../pipeline/core/static-server.js';
import { build } from '../pipeline/product/build.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const given = args.includes('--port') ? args[args.indexOf('--port') + 1] : process.env.XOAY_DEMO_PORT;
  const port = given === undefined ? 4173 : Number(given);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be an integer 1–65535, got ${JSON.stringify(given)}`);
  if (!args.includes('--no-serve')) await portFree(port);
  const target = path.join(ROOT, 'out/demo');
  const base = `http://127.0.0.1:${port}/`;
  process.stderr.write(`demo: xoay build samples/catalogue -o out/demo --base-url ${base}\n`);
  const result = await build(
    [path.join(ROOT, 'samples/catalogue')],
    target,
    { baseUrl: base, cache: path.join(ROOT, 'out/.xoay-cache'), force: true, trustedRoots: [path.join(ROOT, 'samples')], title: 'Sản phẩm OCOP (dữ liệu mẫu)' },
    {
      onEvent: (e) => {
        if (e.type === 'product') process.stderr.write(`demo: ${e.id}: ${e.stage}${e.cached ? ' (cached)' : ''}\n`);
        else if (e.type === 'done') process.stderr.write(`demo: ${e.id}: ${e.status} in ${e.seconds.toFixed(1)} s\n`);
        else if (e.type === 'failed') process.stderr.write(`demo: ${e.id}: FAILED: ${e.message}\n`);
      },
    },
  );
  if (result.failed) throw new Error(`${result.failed} product(s) failed`);
  const rel = path.relative(process.cwd(), target) || target;
  process.stderr.write(
    [
      `demo: written ${rel}/ (${result.built} built, ${result.reused} reused, ${result.seconds.toFixed(1)} s)`,
      `  index.html                 the catalogue: search, filters by province, category and stars`,
      ...result.products.map(
        (p) =>
          `  ${(p.id + '/').padEnd(26)} product page, embed.html, qr.svg/qr.png, spin/${p.id === 'ban-go-tu-nhien' ? ' (rendered from the model)' : ''}, model/`,
      ),
      `  viewer/                    the embeddable viewer (xoay-viewer.js, chunks, decoders)`,
      '',
    ].join('\n'),
  );
  if (args.includes('--no-serve')) {
    process.stderr.write(`demo: to view it, serve that folder over HTTP (npm run demo, or: node bin/xoay.js preview ${rel}) and open index.html\n`);
    return;
  }
  await serveStatic({ mounts: { '/': target }, port });
  process.stderr.write(`demo: open ${base} in a browser (Ctrl-C to stop)\n`);
}

/** Fails, before anything is written, when `port` is taken on 127.0.0.1, saying how to choose another. */
function portFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `port ${port} on 127.0.0.1 is taken (another demo or preview?): choose another with npm run demo -- --port ${port + 1} (or XOAY_DEMO_PORT=${port + 1}); nothing was built`
            : `cannot listen on 127.0.0.1:${port}: ${e.message}`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

main().catch((e: Error) => {
  process.stderr.write(`demo: ${e.message}\n`);
  process.exit(1);
});
