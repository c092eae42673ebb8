/** `xoay check-site <site>`: lists what a static host would get wrong with a built site (pipeline/product/check-site.ts). */
import type { Command } from 'commander';
import { checkSite, problemLines } from '../../pipeline/product/check-site.js';
import { common, runCommand } from '../run.js';

export function registerCheckSite(program: Command): void {
  const cmd = program
    .command('check-site')
    .description(
      'check a built site before publishing it: missing files its pages and spins reference, modes a web server cannot read, dot-files, extensions served with the wrong type; exit 1 with one line per problem',
    )
    .argument('<site>', 'the site folder (xoay build -o)')
    .option('--base-url <url>', 'the address it will be published at (as given to xoay build): absolute links under it are checked too');
  common(cmd, { json: 'the result as one JSON document on stdout (errors too: {"error":{…}}); nothing else goes there', quiet: false })
    .addHelpText('after', '\nExamples:\n  $ npx xoay check-site site/ --base-url https://ocop.example.vn/san-pham/\n  $ npx xoay check-site site/ --json\n')
    .action(async (site: string, opts) =>
      runCommand(cmd, async (m, ctx) => {
        Object.assign(opts, m);
        const r = await checkSite(site, { baseUrl: opts.baseUrl });
        if (ctx.json) process.stdout.write(JSON.stringify(r) + '\n');
        else {
          for (const line of problemLines(r)) process.stdout.write(`${line}\n`);
          process.stderr.write(
            `check-site: ${r.site}: ${r.files} files, ${r.pages} pages, ${r.manifests} spins, ${r.references} references: ${r.problems.length ? `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}` : 'nothing a static host would get wrong'}\n`,
          );
        }
        if (r.problems.length) process.exitCode = 1;
      }),
    );
}
