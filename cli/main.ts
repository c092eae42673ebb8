/** The `xoay` program: one sub-command per file in commands/. */
import { Command } from 'commander';
import { registerModel } from './commands/model.js';
import { registerSpin } from './commands/spin.js';

import { VERSION } from '../pipeline/core/version.js';

// Ctrl-C or a kill: exit through process.exit so the atomic-output clean-up ('exit' handlers) runs.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

const program = new Command('xoay')
  .description('Xoay: turn product photo shoots into web-ready 360° spins and compressed 3D models')
  .version(VERSION)
  .showHelpAfterError();
registerSpin(program);
registerModel(program);
await program.parseAsync(process.argv);
