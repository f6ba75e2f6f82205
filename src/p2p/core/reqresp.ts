/**
 * Request/response over libp2p streams, one protocol per method. The client writes one
 * length-prefixed request frame and closes its write side; the server answers with item or error
 * frames and closes. Responses are served by the main thread (the stores live there): the core
 * forwards the request and waits, bounded by `serverTimeoutMs`. Limits apply on both ends: a
 * server never sends more than `maxItems`, a client aborts a response with more items or bytes
 * than asked for, and every stream has a deadline.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Logger } from 'pino';
import { FrameReader, encodeFrame } from '../codec/frames.ts';
import { decodeResponseFrame, encodeErrorFrameBody, encodeItemFrameBody } from '../codec/sync.ts';
import { packList } from '../codec/wire.ts';
import { protocolName, type ReqMethod } from '../topics.ts';
import type { FromCore, ReqRespLimits } from '../protocol.ts';

export const DEFAULT_REQRESP_LIMITS: Required<ReqRespLimits> = {
  maxItems: 128,
  maxFrameBytes: 8 * 1024 * 1024,
  maxResponseBytes: 64 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  serverTimeoutMs: 8_000,
  maxInbound: 16,
};

/** A failure with a code the client maps to RequestError. */
export class ReqRespError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ReqRespDeps {
  node: Libp2p;
  post(msg: FromCore, transfer?: ArrayBuffer[]): void;
  logger: Logger;
  /** Per-method counters, owned by the core's stats. */
  count(method: ReqMethod, direction: 'in' | 'out', result: string): void;
}

interface PendingInbound {
  resolve(r: { ok: true; items: Uint8Array[] } | { ok: false; error: string }): void;
}

/** Reads a whole stream (until the remote closes its write side) as frames, aborting on limits. */
async function readFrames(stream: Stream, maxFrameBytes: number, onFrame: (frame: Uint8Array) => string | null): Promise<void> {
  const reader = new FrameReader(maxFrameBytes);
  for await (const chunk of stream) {
    const frames = reader.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
    if (reader.failed) throw new ReqRespError('limit', reader.failed.message);
    for (const f of frames) {
      const problem = onFrame(f);
      if (problem !== null) throw new ReqRespError('limit', problem);
    }
  }
  if (reader.buffered !== 0) throw new ReqRespError('protocol', `stream ended inside a frame (${reader.buffered} bytes left)`);
}

async function send(stream: Stream, data: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(data)) await stream.onDrain({ signal });
}

function withDeadline(stream: Stream, ms: number, what: string): { signal: AbortSignal; clear(): void } {
  const ctrl = new AbortController();
  const timer = setTimeout(() => {
    const err = new ReqRespError('timeout', `${what}: no complete answer within ${ms} ms`);
    ctrl.abort(err);
    stream.abort(err);
  }, ms);
  return { signal: ctrl.signal, clear: () => clearTimeout(timer) };
}

export class ReqResp {
  readonly #chainId: number | string;
  readonly limits: Required<ReqRespLimits>;
  readonly #deps: ReqRespDeps;
  readonly #pending = new Map<number, PendingInbound>();
  readonly #registered = new Set<ReqMethod>();
  #nextId = 1;
  #inbound = 0;

  constructor(chainId: number | string, limits: ReqRespLimits | undefined, deps: ReqRespDeps) {
    this.#chainId = chainId;
    this.limits = { ...DEFAULT_REQRESP_LIMITS, ...limits };
    this.#deps = deps;
  }

  /** Starts serving `method` (the main thread has a handler for it). */
  async register(method: ReqMethod): Promise<void> {
    if (this.#registered.has(method)) return;
    this.#registered.add(method);
    await this.#deps.node.handle(protocolName(this.#chainId, method), (stream, conn) => this.#serve(method, stream, conn.remotePeer.toString()), { maxInboundStreams: this.limits.maxInbound });
  }

  onRespond(id: number, r: { ok: true; items: Uint8Array[] } | { ok: false; error: string }): void {
    const p = this.#pending.get(id);
    if (!p) return; // answered after its deadline: the stream is gone already
    this.#pending.delete(id);
    p.resolve(r);
  }

  /** Fails every request waiting on the main thread (shutdown). */
  close(): void {
    for (const p of this.#pending.values()) p.resolve({ ok: false, error: 'node shutting down' });
    this.#pending.clear();
  }

  async #serve(method: ReqMethod, stream: Stream, peer: string): Promise<void> {
    const { serverTimeoutMs, maxFrameBytes, maxItems } = this.limits;
    const deadline = withDeadline(stream, serverTimeoutMs + 2000, `serving ${method} to ${peer}`);
    let result = 'ok';
    try {
      let body: Uint8Array | null = null;
      await readFrames(stream, Math.min(maxFrameBytes, 64 * 1024), (f) => {
        if (body !== null) return 'more than one request frame';
        body = f;
        return null;
      });
      if (body === null) throw new ReqRespError('protocol', 'no request frame');
      let answer: { ok: true; items: Uint8Array[] } | { ok: false; error: string };
      if (this.#inbound >= this.limits.maxInbound) answer = { ok: false, error: 'busy' };
      else {
        this.#inbound++;
        try {
          answer = await this.#askMain(method, peer, body);
        } finally {
          this.#inbound--;
        }
      }
      if (answer.ok) {
        if (answer.items.length > maxItems) answer.items.length = maxItems;
        for (const item of answer.items) await send(stream, encodeFrame(encodeItemFrameBody(item)), deadline.signal);
      } else {
        result = 'error';
        await send(stream, encodeFrame(encodeErrorFrameBody(answer.error)), deadline.signal);
      }
      await stream.close({ signal: deadline.signal });
    } catch (err) {
      result = err instanceof ReqRespError ? err.code : 'stream';
      this.#deps.logger.debug({ peer, method, err: (err as Error).message }, 'inbound request failed');
      stream.abort(err as Error);
    } finally {
      deadline.clear();
      this.#deps.count(method, 'in', result);
    }
  }

  #askMain(method: ReqMethod, peer: string, body: Uint8Array): Promise<{ ok: true; items: Uint8Array[] } | { ok: false; error: string }> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ ok: false, error: 'server timeout' });
      }, this.limits.serverTimeoutMs);
      this.#pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
      const copy = body.slice();
      this.#deps.post({ t: 'inbound', id, peer, method, body: copy }, [copy.buffer]);
    });
  }

  /** Client side: the response items packed (codec/wire.ts), or a ReqRespError. */
  async request(peer: string, method: ReqMethod, body: Uint8Array, timeoutMs = this.limits.requestTimeoutMs): Promise<Uint8Array> {
    const { maxFrameBytes, maxItems, maxResponseBytes } = this.limits;
    let peerId;
    try {
      peerId = peerIdFromString(peer);
    } catch {
      throw new ReqRespError('dial', `not a peer id: ${peer}`);
    }
    const dialSignal = AbortSignal.timeout(timeoutMs);
    const started = Date.now();
    let stream: Stream;
    try {
      stream = await this.#deps.node.dialProtocol(peerId, protocolName(this.#chainId, method), { signal: dialSignal });
    } catch (err) {
      this.#deps.count(method, 'out', 'dial');
      throw new ReqRespError(dialSignal.aborted ? 'timeout' : 'dial', `${method} to ${peer}: ${(err as Error).message}`);
    }
    const deadline = withDeadline(stream, Math.max(1, timeoutMs - (Date.now() - started)), `${method} from ${peer}`);
    const items: Uint8Array[] = [];
    let bytes = 0;
    let remoteError: string | null = null;
    try {
      await send(stream, encodeFrame(body), deadline.signal);
      await stream.close({ signal: deadline.signal });
      await readFrames(stream, maxFrameBytes, (f) => {
        if (remoteError !== null) return 'frames after an error frame';
        const decoded = decodeResponseFrame(f);
        if (!decoded.ok) return decoded.error.message;
        if (decoded.value.code === 'error') {
          remoteError = decoded.value.message;
          return null;
        }
        if (items.length >= maxItems) return `more than ${maxItems} items`;
        bytes += decoded.value.item.length;
        if (bytes > maxResponseBytes) return `response exceeds ${maxResponseBytes} bytes`;
        items.push(decoded.value.item);
        return null;
      });
    } catch (err) {
      stream.abort(err as Error);
      const code = deadline.signal.aborted ? 'timeout' : err instanceof ReqRespError ? err.code : 'protocol';
      this.#deps.count(method, 'out', code);
      throw new ReqRespError(code, `${method} from ${peer}: ${(err as Error).message}`);
    } finally {
      deadline.clear();
    }
    if (remoteError !== null) {
      this.#deps.count(method, 'out', 'remote');
      throw new ReqRespError('remote', `${method} from ${peer}: peer answered '${remoteError}'`);
    }
    this.#deps.count(method, 'out', 'ok');
    return packList(items);
  }
}
