/** `xoay worker --queue redis://…` and `xoay status --queue redis://…`: the distributed build (pipeline/queue/). */
import { type Command, Option } from 'commander';
import { buildStatus, QUEUE_NAME, queueStatus, startWorker, WORKER_DEFAULTS } from '../../pipeline/queue/queue.js';
import { common, required, runCommand } from '../run.js';
import { WORKER_CHECKS } from '../../api/checks.js';
import { fromCheck } from '../parse.js';

export function registerQueue(program: Command): void {
  const worker = program
    .command('worker')
    .description('build products from a queue (xoay build --queue) until stopped; SIGTERM lets the current jobs finish')
    .option('--queue <url>', 'the Redis address, redis://HOST:PORT[/db] (required; or worker.queue in the config file)')
    .option('--concurrency <n>', 'jobs at the same time', fromCheck('--concurrency', WORKER_CHECKS.concurrency), WORKER_DEFAULTS.concurrency)
    .addOption(new Option('--queue-name <name>', 'the BullMQ queue').default(QUEUE_NAME).hideHelp())
    .addOption(
      new Option('--lock-duration <ms>', "job lock (a dead worker's job is taken back after about this)")
        .argParser(fromCheck('--lock-duration', WORKER_CHECKS.lockDuration))
        .default(WORKER_DEFAULTS.lockDuration),
    )
    .addOption(
      new Option('--stalled-interval <ms>', 'how often stalled jobs are looked for')
        .argParser(fromCheck('--stalled-interval', WORKER_CHECKS.stalledInterval))
        .default(WORKER_DEFAULTS.stalledInterval),
    );
  common(worker, { json: 'events as JSON lines on stdout (errors too: {"error":{…}})', quiet: false })
    .addHelpText('after', '\nExamples:\n  $ npx xoay worker --queue redis://127.0.0.1:6379 --concurrency 2\n')
    .action(async (opts) =>
      runCommand(worker, async (m) => {
        Object.assign(opts, m);
        required('--queue <url> (the Redis address; or worker.queue in the config file)', opts.queue);
        const say = (e: object & { type: string }) => {
          if (opts.json) process.stdout.write(JSON.stringify(e) + '\n');
          else if (e.type !== 'build') process.stderr.write(`worker: ${Object.values(e).join(' ')}\n`);
        };
        const w = startWorker(
          opts.queue,
          { concurrency: opts.concurrency, queueName: opts.queueName, lockDuration: opts.lockDuration, stalledInterval: opts.stalledInterval },
          say,
        );
        await w.worker.waitUntilReady();
        say({ type: 'ready', pid: process.pid } as never);
        // Graceful shutdown: the first SIGTERM/SIGINT lets the running jobs finish; a second leaves them to another worker.
        process.removeAllListeners('SIGTERM');
        process.removeAllListeners('SIGINT');
        await new Promise<void>((resolve) => {
          let stopping = false;
          const stop = (sig: string) => {
            say({ type: 'stopping', signal: sig, force: stopping } as never);
            const force = stopping;
            stopping = true;
            void w.close(force).then(resolve, resolve);
          };
          process.on('SIGTERM', () => stop('SIGTERM'));
          process.on('SIGINT', () => stop('SIGINT'));
        });
        say({ type: 'stopped' } as never);
        process.exit(0);
      }),
    );

  const status = program
    .command('status')
    .description('counts of waiting, active, done and failed jobs, and why each failed (of the whole queue, or of one build)')
    .option('--queue <url>', 'the Redis address, redis://HOST:PORT[/db] (required; or status.queue in the config file)')
    .option('--build <id>', 'one build: the id `xoay build --queue` printed')
    .addOption(new Option('--queue-name <name>', 'the BullMQ queue').default(QUEUE_NAME).hideHelp());
  common(status, { json: 'one JSON document on stdout (errors too: {"error":{…}})', quiet: false })
    .addHelpText('after', '\nExamples:\n  $ npx xoay status --queue redis://127.0.0.1:6379 --build <id>\n')
    .action(async (opts) =>
      runCommand(status, async (m) => {
        Object.assign(opts, m);
        required('--queue <url> (the Redis address; or status.queue in the config file)', opts.queue);
        if (opts.build) {
          const b = await buildStatus(opts.queue, opts.build, opts.queueName);
          if (opts.json) {
            process.stdout.write(JSON.stringify(b) + '\n');
            return;
          }
          const finished = b.summary
            ? `finished: ${b.summary.built} built, ${b.summary.reused} reused, ${b.summary.failed} failed`
            : b.state === 'failed'
              ? 'the index job failed'
              : `running (index ${b.state})`;
          process.stdout.write(
            [
              `build ${b.build}: ${b.total} products: done ${b.done}, failed ${b.failed}, to do ${b.pending}; ${finished}`,
              ...b.failures.map((f) => `  failed: ${f.message}`),
              '',
            ].join('\n'),
          );
          return;
        }
        const s = await queueStatus(opts.queue, opts.queueName);
        if (opts.json) {
          process.stdout.write(JSON.stringify(s) + '\n');
          return;
        }
        const c = s.counts;
        process.stdout.write(
          [
            `waiting ${(c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0)}, active ${c.active ?? 0}, done ${c.completed ?? 0}, failed ${c.failed ?? 0}`,
            ...s.failures.map((f) => `  failed (${f.attempts} attempts): ${f.message}`),
            '',
          ].join('\n'),
        );
      }),
    );
}
