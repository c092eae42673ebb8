/** The `xoay` program: one sub-command per file in commands/. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../pipeline/core/version.js';
import { EXIT, EXIT_TABLE, report } from './errors.js';

// Ctrl-C or a kill: exit through process.exit so the atomic-output clean-up ('exit' handlers) runs.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

const program = new Command('xoay')
  .description('Xoay: turn product photo shoots into web-ready 360° spins and compressed 3D models')
  .version(VERSION)
  .showSuggestionAfterError()
  // commander's own messages (usage errors) are reported below, in the one format.
  .configureOutput({ outputError: () => {} })
  .addHelpText(
    'after',
    `
Conventions: progress and messages go to stderr; with --json, stdout is one JSON document (JSON lines for build and
worker), errors included ({"error":{"code","message","file"}}). Errors read "xoay <command>: <file>: <problem>".
Options can also come from xoay.config.json / xoay.config.yaml (this folder or above, or --config); flags win.
Chromium is needed for renders and previews (build of model-only products, reconstruct --preview): XOAY_CHROMIUM=/path.

Exit codes:
${EXIT_TABLE.map(([c, d]) => `  ${String(c).padEnd(8)}${d}`).join('\n')}
`,
  )
  .exitOverride();
/**
 * The commands, in the order `xoay --help` lists them, each loaded only when needed: `xoay model …` loads neither the
 * queue (bullmq, ioredis) nor the site builder, which cost more start-up time than small models take to compress.
 */
const COMMANDS: [names: string[], load: () => Promise<(program: Command) => void>][] = [
  [['spin'], async () => (await import('./commands/spin.js')).registerSpin],
  [['model'], async () => (await import('./commands/model.js')).registerModel],
  [['build'], async () => (await import('./commands/build.js')).registerBuild],
  [['preview'], async () => (await import('./commands/preview.js')).registerPreview],
  [['reconstruct'], async () => (await import('./commands/reconstruct.js')).registerReconstruct],
  [['render'], async () => (await import('./commands/render.js')).registerRender],
  [['worker', 'status'], async () => (await import('./commands/queue.js')).registerQueue],
  [['check-site'], async () => (await import('./commands/check-site.js')).registerCheckSite],
];
// The command named by the first argument that is not an option (`xoay help model` names model); none or an unknown
// name: all of them (for the help and commander's suggestions); `xoay --version`: none.
const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const named = args[0] === 'help' ? args[1] : args[0];
const wanted = COMMANDS.filter(([names]) => named !== undefined && names.includes(named));
const versionOnly = named === undefined && process.argv.slice(2).some((a) => a === '-V' || a === '--version');
if (!versionOnly) for (const [, load] of wanted.length ? wanted : COMMANDS) (await load())(program);
// Usage errors (bad option values, a missing -o): commander prints one line; exit code 2.
for (const cmd of program.commands) cmd.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' || e.exitCode === 0) process.exitCode = 0;
  else {
    // A usage error: the command it is about (the first argument naming one), the one format, --json honoured.
    const command = program.commands.find((c) => process.argv.slice(2).includes(c.name()))?.name() ?? null;
    const message = e.message.replace(/^error: /, '');
    report(command, { code: 'USAGE', message, file: null, exit: EXIT.usage }, process.argv.includes('--json'));
  }
}
