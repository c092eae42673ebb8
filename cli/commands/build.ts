/** `xoay build <product-folder…|catalogue-folder> -o <site>`: parses options and calls the product build. */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Command, Option } from 'commander';
import { TEXTURE_MODES } from '../../pipeline/model/choices.js';
import { SPIN_FORMATS } from '../../pipeline/spin/choices.js';
import { BUILD_DEFAULTS, findProducts } from '../../pipeline/product/build.js';
import { type BuildStatus, ENQUEUE_DEFAULTS, enqueueBuild, QUEUE_NAME, waitForBuild } from '../../pipeline/queue/queue.js';
import { createBuildProgress } from '../build-progress.js';
import { common, required, runCommand } from '../run.js';
import { build as buildApi } from '../../api/index.js';
import { BUILD_CHECKS, ENQUEUE_CHECKS } from '../../api/checks.js';
import { formatList, fromCheck, widthList, absoluteDirs } from '../parse.js';

const EXAMPLES = `
Examples:
  $ npx xoay build catalogue/ -o site/ --base-url https://ocop.example.vn/san-pham/
  $ npx xoay build products/tra-sen products/banh-pia -o site/ --base-url https://shop.example/ --widths 512,1024 --json
  $ npx xoay build catalogue/ -o site/ --queue redis://127.0.0.1:6379   # products built by xoay worker
  Products with a model but no shoot have their spin rendered in Chromium (XOAY_CHROMIUM=/path/to/chromium).
`;

export function registerBuild(program: Command): void {
  const cmd = program
    .command('build')
    .description('build product pages (spin, 3D, story, QR code) and a catalogue page from product folders; incremental')
    .usage('<folders...> -o <site> --base-url <url> [options]')
    .argument('[folders...]', 'product folders (with product.json or product.yaml), or catalogue folders of them (required)')
    .option('-o, --output <site>', 'the site folder (updated in place: unchanged products are kept as they are) (required)')
    .option(
      '--base-url <url>',
      'the public address the site will be published at (for QR codes and link previews), e.g. https://ocop.example.vn/san-pham/ (required; or build.baseUrl in the config file)',
    )
    .option('--cache <dir>', 'stage cache folder (content-addressed)', BUILD_DEFAULTS.cache)
    .option('--jobs <n>', 'products built at the same time (default: from cores and free memory)', fromCheck('--jobs', BUILD_CHECKS.jobs))
    .option('--title <text>', 'title of the catalogue page', BUILD_DEFAULTS.title)
    .option('--widths <list>', 'spin width ladder, comma-separated (default: as xoay spin)', (v) => widthList(v))
    .option('--formats <list>', 'spin formats, comma-separated: avif, webp, jpeg (default: as xoay spin)', (v) => formatList(v, SPIN_FORMATS))
    .addOption(new Option('--textures <format>', 'model texture format (as xoay model)').choices([...TEXTURE_MODES]))
    .option(
      '--reconstruct',
      "products with a shoot but no model get a 3D model made from the shoot (xoay reconstruct; focal length from EXIF or the shoot's shoot.json); one that misses its photos is not published",
      false,
    )
    .option(
      '--allow-links-into <dirs...>',
      'folders outside the product folders that their symbolic links may point into (default: none; a link out of its product folder fails that product)',
    )
    .option('--prune', 'remove products from the site that this build did not include', false)
    .option('--no-usdz', "do not write model.usdz (AR Quick Look) beside each product's model.glb")
    .option('--no-fidelity', "do not render each product's compressed model against its source (model.json `fidelity`)")
    .option('--force', 'build into an existing folder that was not made by xoay build', false)
    .addOption(
      new Option('--queue <url>', 'build on workers (xoay worker) through this Redis, redis://HOST:PORT[/db], instead of in this process').helpGroup(
        'Queue options (xoay worker builds the products):',
      ),
    )
    .addOption(
      new Option('--attempts <n>', 'with --queue: tries per product before it fails')
        .argParser(fromCheck('--attempts', ENQUEUE_CHECKS.attempts))
        .default(ENQUEUE_DEFAULTS.attempts)
        .helpGroup('Queue options (xoay worker builds the products):'),
    )
    .addOption(
      new Option('--no-wait', 'with --queue: enqueue and return (follow with xoay status)').helpGroup('Queue options (xoay worker builds the products):'),
    )
    .addOption(new Option('--queue-name <name>', 'the BullMQ queue').default(QUEUE_NAME).hideHelp());
  common(cmd, { json: 'events and the summary as JSON lines on stdout (errors too: {"error":{…}})' })
    .addHelpText('after', EXAMPLES)
    .action(async (folders: string[], flags) =>
      runCommand(cmd, async (m, ctx) => {
        required('the product or catalogue folders (xoay build <folders...> -o <site> --base-url <url>)', folders);
        required('-o, --output <site> (the site folder)', flags.output);
        required('--base-url <url> (the public address of the site; or build.baseUrl in the config file)', m.baseUrl);
        // Checked before the folders are read (a bad value is a usage error whatever the folders hold), as the API does.
        BUILD_CHECKS.baseUrl('build', 'baseUrl', m.baseUrl);
        const opts = { ...flags, ...m, json: ctx.json, quiet: Boolean(flags.quiet) } as Record<string, any>;
        const widths = opts.widths as number[] | undefined;
        const formats = opts.formats as string[] | undefined;
        const options = {
          baseUrl: opts.baseUrl,
          cache: opts.cache,
          jobs: opts.jobs ?? 0,
          title: opts.title,
          prune: opts.prune,
          usdz: opts.usdz,
          fidelity: opts.fidelity,
          force: opts.force,
          trustedRoots: absoluteDirs(opts.allowLinksInto),
          spin: { ...(widths ? { widths } : {}), ...(formats ? { formats: formats as never } : {}) },
          model: opts.textures ? { textures: opts.textures } : {},
          reconstruct: opts.reconstruct ? (opts.textures ? { textures: opts.textures } : {}) : (false as const),
        };
        if (opts.queue) {
          const t0 = performance.now();
          const { flowId, total } = await enqueueBuild(opts.queue, folders, opts.output, options, { attempts: opts.attempts, queueName: opts.queueName });
          const queued = { type: 'queued', flow: flowId, products: total };
          if (opts.json) process.stdout.write(JSON.stringify(queued) + '\n');
          else if (!opts.quiet)
            process.stderr.write(
              `build: ${total} products queued (build ${flowId}; \`xoay status --queue … --build ${flowId}\`)${opts.wait ? '; waiting for the workers' : ''}\n`,
            );
          if (!opts.wait) return;
          // Progress: a line (or a JSON event) each time a product finishes or fails, with the failure's message.
          let last = '';
          const told = new Set<string>();
          const onProgress = (st: BuildStatus) => {
            const line = `${st.done + st.failed}/${st.total}`;
            if (line === last) return;
            last = line;
            if (opts.json)
              process.stdout.write(JSON.stringify({ type: 'progress', done: st.done, failed: st.failed, pending: st.pending, total: st.total }) + '\n');
            else if (!opts.quiet) {
              process.stderr.write(`build: ${st.done + st.failed}/${st.total} products finished${st.failed ? ` (${st.failed} failed)` : ''}\n`);
              for (const f of st.failures) if (!told.has(f.folder)) process.stderr.write(`  failed: ${f.message}\n`);
            }
            for (const f of st.failures) told.add(f.folder);
          };
          const r = await waitForBuild(opts.queue, flowId, { queueName: opts.queueName, onProgress });
          const seconds = (performance.now() - t0) / 1000;
          if (opts.json) process.stdout.write(JSON.stringify({ type: 'summary', ...r, seconds }) + '\n');
          else if (!opts.quiet) {
            process.stderr.write(
              [
                `build: ${r.products.length} products in ${seconds.toFixed(1)} s on the queue: ${r.built} built, ${r.reused} reused, ${r.failed} failed`,
                ...r.products.filter((p) => p.status === 'failed').map((f) => `  failed: ${f.message}`),
                '',
              ].join('\n'),
            );
          }
          if (r.failed > 0) process.exitCode = 1;
          return;
        }
        const total = (await findProducts(folders)).length;
        const progress = createBuildProgress({ total, json: opts.json, quiet: opts.quiet });
        const result = await buildApi(folders, opts.output, {
          baseUrl: opts.baseUrl,
          cache: opts.cache,
          jobs: opts.jobs,
          title: opts.title,
          widths,
          formats: formats as never,
          textures: opts.textures,
          reconstruct: opts.reconstruct,
          allowLinksInto: opts.allowLinksInto,
          prune: opts.prune,
          usdz: opts.usdz,
          fidelity: opts.fidelity,
          force: opts.force,
          onProgress: (e) => progress.onEvent(e),
        });
        progress.done();
        const summary = {
          type: 'summary',
          site: result.site,
          built: result.built,
          reused: result.reused,
          failed: result.failed,
          seconds: result.seconds,
          jobs: result.jobs,
          products: result.products,
        };
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else if (!opts.quiet) {
          const failures = result.products.filter((p) => p.status === 'failed');
          process.stderr.write(
            [
              `build: ${result.products.length} products in ${result.seconds.toFixed(1)} s (${result.jobs} at a time): ${result.built} built, ${result.reused} reused, ${result.failed} failed`,
              ...failures.map((f) => `  failed: ${f.message}`),
              `  site: ${path.relative(process.cwd(), result.site) || '.'}${path.sep}index.html (serve the folder over HTTP, or: xoay preview ${path.relative(process.cwd(), result.site) || '.'})`,
              '',
            ].join('\n'),
          );
        }
        if (result.failed > 0) process.exitCode = 1;
      }),
    );
}
