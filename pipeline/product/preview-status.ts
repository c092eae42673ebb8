/**
 * The build status of `xoay preview` (pipeline/product/preview.ts): what the last build did, sent to the frame switch
 * as server-sent events, and its one-line wording (the same words on the server's first page and in the page's script,
 * which receives them from here).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface PreviewStatus {
  state: 'building' | 'ok' | 'error';
  /** The failures of the last build, one per line. */
  message?: string;
  /** Products of the last build (product mode) with what happened to them. */
  products: { id: string; status: 'built' | 'reused' | 'failed'; message?: string }[];
  /** When the state last changed (ISO time). */
  at: string;
}

/** The words of each state (an error is followed by a line break and the message; the page adds the time to `ok`). */
export const STATUS_TEXT: Readonly<Record<PreviewStatus['state'], string>> = {
  building: 'Building…',
  error: 'Build failed (the last good build is shown):',
  ok: 'Up to date',
};

/** The status as the frame switch shows it when the page is served. */
export function statusText(s: PreviewStatus): string {
  if (s.state === 'error') return `${STATUS_TEXT.error}\n${s.message ?? ''}`;
  return STATUS_TEXT[s.state];
}

/** The current status, and the open event streams it is sent to whenever it changes. */
export interface StatusFeed {
  get(): PreviewStatus;
  /** Changes the status (stamped with the time) and sends it to every open stream. */
  set(next: Omit<PreviewStatus, 'at'>): void;
  /** Answers a request for the events: the status now, then every change until the client goes. */
  subscribe(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every open stream. */
  close(): void;
}

export function statusFeed(state: PreviewStatus['state']): StatusFeed {
  let status: PreviewStatus = { state, products: [], at: new Date().toISOString() };
  const streams = new Set<ServerResponse>();
  return {
    get: () => status,
    set(next) {
      status = { ...next, at: new Date().toISOString() };
      const line = `data: ${JSON.stringify(status)}\n\n`;
      for (const r of streams) r.write(line);
    },
    subscribe(req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`data: ${JSON.stringify(status)}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
    },
    close() {
      for (const r of streams) r.end();
      streams.clear();
    },
  };
}
