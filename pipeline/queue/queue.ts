/**
 * `xoay build --queue`, `xoay worker`, `xoay status`: a catalogue built by many machines through BullMQ on Redis.
 *
 * One flow per build: a parent job `index` (writes the viewer and the catalogue page) whose children are one
 * `product` job per product folder. Children are added with `ignoreDependencyOnFailure`, so a product that fails
 * after its attempts is recorded as a failed dependency of the parent and the index still runs when every
 * product has finished (built, reused or failed). Jobs carry only paths and options, never image data: every
 * worker must see the product folders at the same paths; the site and the stage cache are written through
 * `Storage` (pipeline/core/storage.ts; a shared folder today). Outputs are content-addressed as in a local build (the same stage cache and product stamps, kept beside it), so a
 * product built on any machine gives the same bytes, and a product already built is reused.
 *
 * A worker that dies mid-product loses its job lock; BullMQ's stalled-job check puts the job back (it is
 * retried from the stage cache), and the site never shows a half-written product because each product folder
 * is assembled in local scratch space and put into the site at once (`Storage.putFolder`).
 */
import path from 'node:path';
import { FlowProducer, Job, Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { echo, isXoayError, XoayError, type XoayErrorCode } from '../core/errors.js';
import { withDefaults } from '../core/options.js';
import {
  BUILD_DEFAULTS,
  type BuildContext,
  type BuildEvent,
  type BuildOptions,
  buildProductFolder,
  checkSiteOutsideInputs,
  defaultStorage,
  failureMessage,
  findProducts,
  openBuild,
  type ProductResult,
  viewerFolder,
} from '../product/build.js';
import { prepareSite, siteState, writeSite } from '../product/site.js';
import { PRODUCT_FILES, readProduct } from '../product/product.js';
import { FolderStorage } from '../core/storage.js';

const STAGE = 'queue';
export const QUEUE_NAME = 'xoay-build';
/** Failures that another attempt cannot mend (the same file would be read again). */
const UNRECOVERABLE = new Set<XoayErrorCode>(['BAD_PRODUCT', 'DUPLICATE_ID']);

/** Whether any of `names` is in the folder (a product's facts may be in any of the product files). */
async function someExists(folder: FolderStorage, names: readonly string[]): Promise<boolean> {
  for (const name of names) if (await folder.exists(name)) return true;
  return false;
}

export interface ProductJob {
  folder: string;
  site: string;
  options: Partial<BuildOptions>;
  /** Folders sharing this product's id in the same build (more than one: refused). */
  twins?: string[];
}
export interface IndexJob {
  site: string;
  /** The stage cache (absolute), beside which the site's build state is kept. */
  cache: string;
  /** Ids of the products of this build (for --prune). */
  ids: string[];
  title: string;
  prune: boolean;
  total: number;
}

export interface QueueSummary {
  site: string;
  built: number;
  reused: number;
  failed: number;
  products: ProductResult[];
}

/** A Redis connection from redis://HOST:PORT[/db] (rediss:// for TLS). BullMQ needs maxRetriesPerRequest null. */
export function connection(url: string, extra: { lazy?: boolean; failFast?: boolean } = {}): Redis {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new XoayError(STAGE, 'BAD_OPTION', `--queue must be a Redis address redis://HOST:PORT[/db], got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new XoayError(STAGE, 'BAD_OPTION', `--queue must be a Redis address redis://HOST:PORT[/db], got ${JSON.stringify(url)}`);
  const conn = new Redis(url, {
    maxRetriesPerRequest: extra.failFast ? 1 : null,
    lazyConnect: extra.lazy ?? false,
    // Reconnect quickly after a Redis restart.
    retryStrategy: (times) => (extra.failFast && times > 3 ? null : Math.min(100 * times, 1000)),
  });
  // Connection errors are retried (or reported by the command that failed); not printed by ioredis.
  conn.on('error', () => {});
  return conn;
}

export interface EnqueueOptions {
  /** Tries per product before it counts as failed. */
  attempts: number;
  /** Wait before a retry (ms, exponential). */
  backoff: number;
  queueName: string;
}
export const ENQUEUE_DEFAULTS: EnqueueOptions = { attempts: 2, backoff: 1000, queueName: QUEUE_NAME };

/** Prepares the site and adds the build's flow; returns the index job's id and the product count. */
export async function enqueueBuild(
  url: string,
  inputs: string[],
  site: string,
  opts: Partial<BuildOptions>,
  q: Partial<EnqueueOptions> = {},
): Promise<{ flowId: string; total: number }> {
  const eq = withDefaults(ENQUEUE_DEFAULTS, q);
  const o = withDefaults(BUILD_DEFAULTS, opts);
  const siteDir = path.resolve(site);
  const folders = await findProducts(inputs);
  checkSiteOutsideInputs(folders, siteDir);
  // Checks the options and the viewer as a local build would (the workers do again).
  await (await openBuild(siteDir, o, { jobs: 1 })).close();
  const storage = defaultStorage(siteDir, o.cache);
  await prepareSite(storage.site, siteState(storage.cache, storage.site), siteDir, o.force);
  // Jobs carry absolute paths: every worker sees the same shared folder at the same place.
  const options: Partial<BuildOptions> = { ...opts, cache: path.resolve(o.cache) };
  const read = await Promise.all(
    folders.map(async (folder) => ({
      folder,
      id: await readProduct(folder, { trustedRoots: o.trustedRoots }).then(
        (s) => s.product.id,
        () => undefined,
      ),
    })),
  );
  const byId = new Map<string, string[]>();
  for (const r of read) if (r.id) byId.set(r.id, [...(byId.get(r.id) ?? []), r.folder]);
  const unread = read.filter((r) => !r.id).length;
  // Finished jobs are kept a week (failed ones a month) for `status`, then dropped: Redis does not grow build after build.
  const keep = { removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { age: 30 * 86_400 } };
  const conn = connection(url);
  const flow = new FlowProducer({ connection: conn as unknown as ConnectionOptions });
  try {
    const index: IndexJob = {
      site: siteDir,
      cache: path.resolve(o.cache),
      ids: [...byId.keys()],
      title: o.title,
      prune: o.prune && unread === 0,
      total: folders.length,
    };
    const tree = await flow.add({
      name: 'index',
      queueName: eq.queueName,
      data: index,
      opts: { attempts: eq.attempts, backoff: { type: 'exponential', delay: eq.backoff }, ...keep },
      children: read.map((r) => {
        const data: ProductJob = { folder: r.folder, site: siteDir, options };
        const twins = r.id ? byId.get(r.id)! : [];
        if (twins.length > 1) data.twins = twins;
        return {
          name: 'product',
          queueName: eq.queueName,
          data,
          opts: { attempts: eq.attempts, backoff: { type: 'exponential', delay: eq.backoff }, ignoreDependencyOnFailure: true, ...keep },
        };
      }),
    });
    return { flowId: tree.job.id!, total: folders.length };
  } finally {
    await flow.close();
    conn.disconnect();
  }
}

/** Waits for a build's index job; survives Redis restarts (polls). */
export async function waitForBuild(
  url: string,
  flowId: string,
  q: { queueName?: string; onProgress?: (s: BuildStatus) => void; pollMs?: number } = {},
): Promise<QueueSummary> {
  const conn = connection(url);
  const queue = new Queue(q.queueName ?? QUEUE_NAME, { connection: conn as unknown as ConnectionOptions });
  queue.on('error', () => {});
  try {
    for (;;) {
      try {
        const job = await Job.fromId(queue, flowId);
        if (!job) throw new XoayError(STAGE, 'INPUT_MISSING', `no job ${flowId} in the queue`);
        const state = await job.getState();
        // Read the job again: it may have completed between the two calls (its return value was not there yet).
        if (state === 'completed') {
          q.onProgress?.(await readBuildStatus(queue, flowId));
          return (await Job.fromId(queue, flowId))!.returnvalue as QueueSummary;
        }
        if (state === 'failed') throw new XoayError(STAGE, 'QUEUE_JOB_FAILED', `the catalogue index job failed: ${job.failedReason}`);
        if (q.onProgress) q.onProgress(await readBuildStatus(queue, flowId));
      } catch (e) {
        if (e instanceof XoayError) throw e;
        // Redis unreachable for a moment (restart): keep waiting.
      }
      await new Promise((r) => setTimeout(r, q.pollMs ?? 250));
    }
  } finally {
    await queue.close().catch(() => {});
    conn.disconnect();
  }
}

export interface WorkerOptions {
  concurrency: number;
  queueName: string;
  /** How long a job's lock lasts without renewal (ms); a dead worker's job is taken back after about this. */
  lockDuration: number;
  /** How often stalled jobs are looked for (ms). */
  stalledInterval: number;
  /** Times a job may stall (its worker died) before it fails. */
  maxStalledCount: number;
}
export const WORKER_DEFAULTS: WorkerOptions = { concurrency: 1, queueName: QUEUE_NAME, lockDuration: 30_000, stalledInterval: 30_000, maxStalledCount: 2 };

export type WorkerEvent =
  | { type: 'active'; job: string; name: string; folder?: string; attempt: number }
  | { type: 'completed'; job: string; name: string; id?: string; status?: string; seconds?: number }
  | { type: 'failed'; job: string; name: string; folder?: string; attempt: number; message: string }
  | { type: 'error'; message: string }
  | { type: 'build'; event: BuildEvent };

/** Starts a worker; `close()` lets the running jobs finish (or, forced, leaves them to the stalled-job check). */
export function startWorker(
  url: string,
  opts: Partial<WorkerOptions>,
  onEvent: (e: WorkerEvent) => void = () => {},
): { worker: Worker; close(force?: boolean): Promise<void> } {
  const w = withDefaults(WORKER_DEFAULTS, opts);
  const conn = connection(url);
  const lookup = new Queue(w.queueName, { connection: conn as unknown as ConnectionOptions });
  lookup.on('error', () => {});
  const contexts = buildContexts(w.concurrency);

  const worker = new Worker(
    w.queueName,
    async (job: Job) => {
      onEvent({ type: 'active', job: job.id!, name: job.name, folder: (job.data as ProductJob).folder, attempt: job.attemptsMade + 1 });
      if (job.name === 'product') return productJob(job.data as ProductJob, contexts.contextFor, onEvent);
      if (job.name === 'index') return indexJob(job, lookup);
      throw new XoayError(STAGE, 'UNSUPPORTED_INPUT', `unknown job ${echo(job.name)}`);
    },
    {
      connection: conn as unknown as ConnectionOptions,
      concurrency: w.concurrency,
      lockDuration: w.lockDuration,
      stalledInterval: w.stalledInterval,
      maxStalledCount: w.maxStalledCount,
      autorun: true,
    },
  );
  forwardEvents(worker, onEvent);

  return {
    worker,
    async close(force = false) {
      await worker.close(force);
      await lookup.close().catch(() => {});
      await contexts.close();
      conn.disconnect();
    },
  };
}

/** One build context per site and options, opened on first use and kept for the worker's life (a failed one is opened again). */
function buildContexts(jobs: number): { contextFor(site: string, options: Partial<BuildOptions>): Promise<BuildContext>; close(): Promise<void> } {
  const contexts = new Map<string, Promise<BuildContext>>();
  return {
    contextFor(site, options) {
      const k = JSON.stringify([site, options]);
      let c = contexts.get(k);
      if (!c) {
        c = openBuild(site, options, { jobs });
        c.catch(() => contexts.delete(k));
        contexts.set(k, c);
      }
      return c;
    },
    async close() {
      for (const c of contexts.values()) await (await c.catch(() => undefined))?.close();
    },
  };
}

/** A product job: the folder built into the site, once both are seen on this worker's storage. */
async function productJob(
  d: ProductJob,
  contextFor: (site: string, options: Partial<BuildOptions>) => Promise<BuildContext>,
  onEvent: (e: WorkerEvent) => void,
): Promise<ProductResult> {
  // The shared storage must be visible here at the same paths as on the machine that enqueued the build.
  const input = new FolderStorage(d.folder);
  if (!(await new FolderStorage(d.site).exists('')))
    throw new XoayError(STAGE, 'INPUT_MISSING', 'the site folder is not visible on this worker (is the shared storage mounted at the same path?)', d.site);
  if (!(await someExists(input, PRODUCT_FILES)))
    throw new XoayError(STAGE, 'INPUT_MISSING', 'the product folder is not visible on this worker (is the shared storage mounted at the same path?)', d.folder);
  const b = await contextFor(d.site, d.options);
  try {
    return await buildProductFolder(
      b,
      d.folder,
      (event) => onEvent({ type: 'build', event }),
      d.twins ? { twins: d.twins, source: await readProduct(d.folder, { trustedRoots: b.o.trustedRoots }) } : undefined,
    );
  } catch (e) {
    // Wrong facts (product.json) or a duplicate id fail at once: another try reads the same file. Everything else
    // (a frame still being copied to the shared folder, a worker short of memory) is tried `--attempts` times.
    if (isXoayError(e) && UNRECOVERABLE.has(e.code)) throw new UnrecoverableError(failureMessage(e, d.folder));
    // The message is already one line naming the stage and file; BullMQ keeps it as the job's failure.
    throw new Error(failureMessage(e, d.folder));
  }
}

/** The index job, run once every product job of its build has finished: the site's index and the build's summary. */
async function indexJob(job: Job, lookup: Queue): Promise<QueueSummary> {
  const d = job.data as IndexJob;
  const done = Object.values(await job.getChildrenValues<ProductResult>());
  const failures = await job.getIgnoredChildrenFailures();
  const products: ProductResult[] = [...done];
  for (const [k, message] of Object.entries(failures)) {
    const child = await Job.fromId(lookup, k.split(':').at(-1)!).catch(() => undefined);
    const folder = (child?.data as ProductJob | undefined)?.folder ?? k;
    products.push({ id: path.basename(folder), folder, status: 'failed', ran: [], seconds: 0, message });
  }
  // What workers killed mid-product left (every product job of this build has finished).
  const { site, cache } = defaultStorage(d.site, d.cache);
  if (site instanceof FolderStorage) await site.tidy();
  await writeSite(site, siteState(cache, site), viewerFolder(), d.ids, { title: d.title, prune: d.prune });
  products.sort((a, b) => a.id.localeCompare(b.id));
  const count = (st: ProductResult['status']) => products.filter((r) => r.status === st).length;
  return { site: d.site, built: count('built'), reused: count('reused'), failed: count('failed'), products };
}

/** The worker's completed, failed and error events as WorkerEvents. */
function forwardEvents(worker: Worker, onEvent: (e: WorkerEvent) => void): void {
  worker.on('completed', (job, r) =>
    onEvent({
      type: 'completed',
      job: job.id!,
      name: job.name,
      id: (r as ProductResult)?.id,
      status: (r as ProductResult)?.status,
      seconds: (r as ProductResult)?.seconds,
    }),
  );
  worker.on(
    'failed',
    (job, e) =>
      job && onEvent({ type: 'failed', job: job.id!, name: job.name, folder: (job.data as ProductJob).folder, attempt: job.attemptsMade, message: e.message }),
  );
  worker.on('error', (e) => onEvent({ type: 'error', message: e.message }));
}

/** One build's progress: its products done, failed and still to do, and each failure (from its index job). */
export interface BuildStatus {
  build: string;
  /** The index job's state: waiting-children while products run, then waiting/active, completed or failed. */
  state: string;
  total: number;
  done: number;
  failed: number;
  pending: number;
  failures: { folder: string; message: string }[];
  /** When the build has finished: its summary. */
  summary?: QueueSummary;
}

async function readBuildStatus(queue: Queue, flowId: string): Promise<BuildStatus> {
  const job = await Job.fromId(queue, flowId);
  if (!job || job.name !== 'index')
    throw new XoayError(
      STAGE,
      'INPUT_MISSING',
      `no build ${flowId} in the queue (give the index job id that \`xoay build --queue\` printed; finished builds are kept for a week)`,
    );
  const state = await job.getState();
  const c = await job.getDependenciesCount({ processed: true, unprocessed: true, ignored: true, failed: true });
  const ignored = await job.getIgnoredChildrenFailures();
  const failures: BuildStatus['failures'] = [];
  for (const [k, message] of Object.entries(ignored)) {
    const child = await Job.fromId(queue, k.split(':').at(-1)!).catch(() => undefined);
    failures.push({ folder: (child?.data as ProductJob | undefined)?.folder ?? k, message });
  }
  const total = (job.data as IndexJob).total;
  const failed = (c.ignored ?? 0) + (c.failed ?? 0);
  const done = c.processed ?? 0;
  const summary = state === 'completed' ? (job.returnvalue as QueueSummary) : undefined;
  return { build: flowId, state, total, done, failed, pending: Math.max(0, total - done - failed), failures, summary };
}

/** One build's status (the id `xoay build --queue` printed). */
export async function buildStatus(url: string, flowId: string, queueName = QUEUE_NAME): Promise<BuildStatus> {
  const conn = connection(url, { failFast: true });
  const queue = new Queue(queueName, { connection: conn as unknown as ConnectionOptions });
  queue.on('error', () => {});
  try {
    try {
      return await readBuildStatus(queue, flowId);
    } catch (e) {
      if (e instanceof XoayError) throw e;
      throw new XoayError(STAGE, 'QUEUE_UNREACHABLE', `cannot reach Redis at ${url} (${(e as Error).message})`);
    }
  } finally {
    await queue.close().catch(() => {});
    conn.disconnect();
  }
}

export interface QueueStatus {
  counts: Record<string, number>;
  failures: { job: string; folder?: string; attempts: number; message: string }[];
}

export async function queueStatus(url: string, queueName = QUEUE_NAME): Promise<QueueStatus> {
  const conn = connection(url, { failFast: true });
  const queue = new Queue(queueName, { connection: conn as unknown as ConnectionOptions });
  queue.on('error', () => {});
  try {
    let counts: Record<string, number>, failed: Job[];
    try {
      counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'waiting-children', 'prioritized');
      failed = await queue.getFailed(0, 999);
    } catch (e) {
      throw new XoayError(STAGE, 'QUEUE_UNREACHABLE', `cannot reach Redis at ${url} (${(e as Error).message})`);
    }
    return {
      counts,
      failures: failed.map((j) => ({ job: j.id!, folder: (j.data as ProductJob).folder, attempts: j.attemptsMade, message: j.failedReason })),
    };
  } finally {
    await queue.close().catch(() => {});
    conn.disconnect();
  }
}
