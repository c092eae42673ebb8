/**
 * Shared by the queue tests and `npm run bench:queue`: a small catalogue made from the committed CC0 sample shoot,
 * and a throw-away Redis server (Debian's redis-server) on 127.0.0.1, a free port, a temporary folder,
 * append-only persistence on.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');
const SAMPLE = path.join(ROOT, 'samples/stool-turntable');
const PROVINCES = ['Hà Giang', 'Lào Cai', 'Bắc Ninh', 'Nam Định', 'Thừa Thiên Huế', 'Quảng Nam', 'Đắk Lắk', 'Lâm Đồng', 'Bến Tre', 'Kiên Giang'];

/** `n` products of `frames` frames `px` wide, each shoot different (tint, mirroring) so none share a cache entry. */
export async function makeSmallCatalogue(dir: string, n: number, o: { frames?: number; px?: number } = {}): Promise<string[]> {
  const frames = o.frames ?? 8;
  const all = (await readdir(SAMPLE)).filter((f) => f.endsWith('.jpg')).sort();
  const step = all.length / frames;
  const small = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp(path.join(SAMPLE, all[Math.floor(i * step)]!))
        .resize(o.px ?? 192)
        .toBuffer(),
    ),
  );
  const ids: string[] = [];
  for (let p = 0; p < n; p++) {
    const id = `san-pham-${String(p + 1).padStart(3, '0')}`;
    const pdir = path.join(dir, id);
    await mkdir(path.join(pdir, 'spin'), { recursive: true });
    await writeFile(
      path.join(pdir, 'product.json'),
      JSON.stringify({
        id,
        sample: true,
        name: { vi: `Sản phẩm mẫu số ${p + 1}` },
        ocop: { stars: 3 + (p % 3), year: 2020 + (p % 5) },
        category: 'Thủ công mỹ nghệ',
        producer: { name: `Hợp tác xã mẫu ${p + 1}`, kind: 'co-operative', province: PROVINCES[p % PROVINCES.length] },
      }),
    );
    await Promise.all(
      small.map((buf, i) => {
        let img = sharp(buf).tint({ r: 255 - (p % 7) * 6, g: 255 - (p % 5) * 6, b: 255 - (p % 3) * 6 });
        if (p % 2) img = img.flop();
        return img.jpeg({ quality: 90 }).toFile(path.join(pdir, 'spin', `frame_${String(i + 1).padStart(3, '0')}.jpg`));
      }),
    );
    ids.push(id);
  }
  return ids;
}

export function redisServerPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SHUTDOWN saves; the append-only file keeps every write). */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** A redis-server on 127.0.0.1 with a free port and a temporary folder; append-only persistence on. */
export async function startRedis(): Promise<TestRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xoay-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--protected-mode',
        'yes',
        '--logfile',
        path.join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.write('PING\r\n');
        });
        s.once('data', (d) => {
          s.destroy();
          resolve(d.toString().startsWith('+PONG'));
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port} (see ${dir}/redis.log)`);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM'); // redis-server shuts down cleanly on SIGTERM (fsyncs the append-only file)
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
