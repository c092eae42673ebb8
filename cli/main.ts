/** The `xoay` program: one sub-command per file in commands/. */
import { Command, CommanderError } from 'commander';
import { registerBuild } from './commands/build.js';
import { registerCheckSite } from './commands/check-site.js';
import { registerModel } from './commands/model.js';
import { registerPreview } from './commands/preview.js';
import { registerReconstruct } from './commands/reconstruct.js';
import { registerQueue } from './commands/queue.js';
import { registerSpin } from './commands/spin.js';

import { VERSION } from '../pipeline/core/version.js';

// Ctrl-C or a kill: exit through process.exit so the atomic-output clean-up ('exit' handlers) runs.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

const program = new Command('xoay')
  .description('Xoay: turn product photo shoots into web-ready 360° spins and compressed 3D models')
  .version(VERSION)
  .showSuggestionAfterError()
  .exitOverride();
registerSpin(program);
registerModel(program);
registerBuild(program);
registerPreview(program);
registerReconstruct(program);
registerQueue(program);
registerCheckSite(program);
// Usage errors (bad option values, a missing -o): commander prints one line; exit code 2.
for (const cmd of program.commands) cmd.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? 0 : 2;
  else throw e;
}
