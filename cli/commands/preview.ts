/** `xoay preview <product-folder|catalogue-folder|site>`: parses options, starts the preview server and keeps it running. */
import path from 'node:path';
import type { Command } from 'commander';
import { PREVIEW_DEFAULTS, preview } from '../../pipeline/product/preview.js';
import { common, runCommand } from '../run.js';
import { PREVIEW_CHECKS } from '../../api/checks.js';
import { fromCheck, widthList, absoluteDirs } from '../parse.js';

export function registerPreview(program: Command): void {
  const cmd = program
    .command('preview')
    .description('show a product page as it will be published (phone, tablet and desktop frames); rebuilds and reloads when the product folder changes')
    .argument('<folder>', 'a product folder, a catalogue folder of them, or a site made by xoay build (served as it is)')
    .option('--port <n>', 'port to listen on (0 = any free port)', fromCheck('--port', PREVIEW_CHECKS.port), PREVIEW_DEFAULTS.port)
    .option('--host <address>', 'address to listen on; anything but loopback lets other machines see the unpublished pages', PREVIEW_DEFAULTS.host)
    .option('--cache <dir>', 'stage cache folder (as xoay build)', PREVIEW_DEFAULTS.cache)
    .option('--widths <list>', 'spin width ladder, comma-separated (default: as xoay spin)', (v) => widthList(v))
    .option('--allow-links-into <dirs...>', 'folders outside the product folders that their symbolic links may point into (as xoay build)');
  common(cmd, {
    json: 'print the address as one JSON document on stdout ({"url":…}; errors too: {"error":{…}})',
    quiet: 'only the address, warnings and errors',
  })
    .addHelpText('after', '\nExamples:\n  $ npx xoay preview products/tra-sen\n  $ npx xoay preview catalogue/ --port 8080 --json\n')
    .action(async (folder: string, opts) =>
      runCommand(cmd, async (m, ctx) => {
        Object.assign(opts, m);
        const widths = opts.widths as number[] | undefined;
        const say = (line: string) => process.stderr.write(`${line}\n`);
        const p = await preview(
          folder,
          {
            port: opts.port,
            host: opts.host,
            cache: opts.cache,
            build: { ...(widths ? { spin: { widths } } : {}), trustedRoots: absoluteDirs(opts.allowLinksInto) },
          },
          {
            onEvent: (e) => {
              if (e.type === 'warning') say(`xoay preview: warning: ${e.message}`);
              else if (e.type === 'error') say(`xoay preview: build failed (the last good build stays shown):\n  ${e.message.split('\n').join('\n  ')}`);
              else if (opts.quiet) return;
              else if (e.type === 'listening') say(`preview: listening on ${e.url}${e.network.length ? ` (and ${e.network.join(', ')})` : ''}`);
              else if (e.type === 'change')
                say(`preview: ${e.files.length === 1 ? path.relative(process.cwd(), e.files[0]!) : `${e.files.length} files`} changed`);
              else if (e.type === 'build' && e.event.type === 'product' && !e.event.cached) say(`  ${e.event.id}: ${e.event.stage}`);
              else if (e.type === 'built')
                say(
                  `preview: built in ${e.seconds.toFixed(1)} s: ${e.built} built, ${e.reused} unchanged${e.failed ? `, ${e.failed} failed` : ''}${e.reloaded ? '; pages reloaded' : ''}`,
                );
            },
          },
        );
        // The one line on stdout: the address.
        if (ctx.json) process.stdout.write(`${JSON.stringify({ url: p.url })}\n`);
        else process.stdout.write(`open ${p.url} in a browser (Ctrl-C to stop)\n`);
        // Until Ctrl-C: main.ts exits on SIGINT / SIGTERM, and the preview's exit handler removes its temporary site.
        await new Promise<void>((resolve) => p.server.httpServer?.once('close', () => resolve()));
      }),
    );
}
