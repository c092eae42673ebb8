/** The `xoay` program: one sub-command per file in commands/. */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerSpin } from './commands/spin.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('xoay')
  .description('Xoay: turn product photo shoots into web-ready 360° spins and compressed 3D models')
  .version(version)
  .showHelpAfterError();
registerSpin(program);
await program.parseAsync(process.argv);
