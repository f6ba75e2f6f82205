/**
 * A userspace stand-in for netem (this kernel has none): a TCP relay in front of a node's p2p port
 * that holds every chunk it forwards, in both directions, for a one-way latency plus jitter before
 * writing it on, so two nodes whose connection passes one relay see that one-way delay each way.
 *
 * - Each chunk is due at arrival + latencyMs + a uniform draw in [-jitterMs, +jitterMs] (at least
 *   arrival), but never before the chunk ahead of it in the same direction: TCP keeps order, so
 *   jitter stretches some gaps and never reorders bytes.
 * - `dropAfterMs`: every relayed connection is cut (both sides destroyed) that long after it opened,
 *   as a flaky WAN link would, so redials and resyncs get exercised.
 * - Half-closes pass through: a side's FIN is forwarded after the chunks ahead of it.
 * - A direction holding more than `maxBufferedBytes` pauses its reader until it drains, so a slow
 *   side back-pressures the fast one instead of growing memory.
 *
 * Used by the WAN bench and its test only; latency can be changed while running (`set`).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface LatencyRelayOptions {
  listen: { host: string; port: number };
  target: { host: string; port: number };
  latencyMs: number;
  jitterMs?: number;
  dropAfterMs?: number | null;
  maxBufferedBytes?: number;
  /** Uniform [0, 1) source (tests pass a seeded one). */
  random?: () => number;
}

export interface RelayStats {
  connections: number;
  open: number;
  chunks: number;
  bytes: number;
  dropped: number;
}

interface Pending {
  due: number;
  chunk: Buffer;
}

export class LatencyRelay {
  private readonly opts: Required<Omit<LatencyRelayOptions, 'dropAfterMs'>> & { dropAfterMs: number | null };
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  readonly stats: RelayStats = { connections: 0, open: 0, chunks: 0, bytes: 0, dropped: 0 };

  constructor(opts: LatencyRelayOptions) {
    for (const [k, v] of [
      ['latencyMs', opts.latencyMs],
      ['jitterMs', opts.jitterMs ?? 0],
    ] as const)
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`LatencyRelay: ${k} must be ≥ 0 ms, got ${v}`);
    this.opts = { jitterMs: 0, dropAfterMs: null, maxBufferedBytes: 8 * 1024 * 1024, random: Math.random, ...opts };
  }

  /** Changes the delay of chunks arriving from now on. */
  set(latencyMs: number, jitterMs = 0): void {
    if (!(latencyMs >= 0) || !(jitterMs >= 0)) throw new RangeError(`LatencyRelay: latency and jitter must be ≥ 0 ms, got ${latencyMs}, ${jitterMs}`);
    this.opts.latencyMs = latencyMs;
    this.opts.jitterMs = jitterMs;
  }

  get latencyMs(): number {
    return this.opts.latencyMs;
  }

  async start(): Promise<AddressInfo> {
    const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
    this.server = server;
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => {
        server.off('error', rej);
        res();
      });
    });
    return server.address() as AddressInfo;
  }

  private accept(client: Socket): void {
    this.stats.connections++;
    this.stats.open++;
    const upstream = connect({ host: this.opts.target.host, port: this.opts.target.port, noDelay: true, allowHalfOpen: true });
    this.sockets.add(client).add(upstream);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.stats.open--;
      if (timer) clearTimeout(timer);
      if (grace) clearTimeout(grace);
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    const timer =
      this.opts.dropAfterMs !== null
        ? setTimeout(() => {
            this.stats.dropped++;
            close();
          }, this.opts.dropAfterMs)
        : null;
    this.pipe(client, upstream);
    this.pipe(upstream, client);
    // An error (reset) cuts both sides now; a clean close waits for the other side, whose delayed
    // chunks and FIN are still on their way (it closes after them), with a deadline.
    let grace: NodeJS.Timeout | null = null;
    const closedOne = () => {
      if (client.destroyed && upstream.destroyed) close();
      else grace ??= setTimeout(close, this.opts.latencyMs + this.opts.jitterMs + 10_000);
    };
    client.on('error', close).on('close', closedOne);
    upstream.on('error', close).on('close', closedOne);
  }

  /** One direction: delay each chunk from `from`, write it to `to` in order; end `to` after the last. */
  private pipe(from: Socket, to: Socket): void {
    const queue: Pending[] = [];
    let head = 0;
    let lastDue = 0;
    let buffered = 0;
    let timer: NodeJS.Timeout | null = null;
    let ended = false;
    const flush = () => {
      timer = null;
      const now = performance.now();
      while (head < queue.length && queue[head]!.due <= now + 0.5) {
        const p = queue[head++]!;
        buffered -= p.chunk.length;
        if (!to.destroyed) to.write(p.chunk);
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      if (from.isPaused() && buffered < this.opts.maxBufferedBytes / 2) from.resume();
      if (head < queue.length) schedule();
      else if (ended && !to.destroyed) to.end();
    };
    const schedule = () => {
      if (timer || head >= queue.length) return;
      timer = setTimeout(flush, Math.max(0, queue[head]!.due - performance.now()));
    };
    from.on('data', (chunk: Buffer) => {
      const now = performance.now();
      const j = this.opts.jitterMs;
      const delay = Math.max(0, this.opts.latencyMs + (j > 0 ? (this.opts.random() * 2 - 1) * j : 0));
      const due = Math.max(now + delay, lastDue);
      lastDue = due;
      queue.push({ due, chunk });
      buffered += chunk.length;
      this.stats.chunks++;
      this.stats.bytes += chunk.length;
      if (buffered > this.opts.maxBufferedBytes) from.pause();
      schedule();
    });
    from.on('end', () => {
      ended = true;
      if (head >= queue.length) {
        if (!to.destroyed) to.end();
      }
    });
    to.on('close', () => {
      if (timer) clearTimeout(timer);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
