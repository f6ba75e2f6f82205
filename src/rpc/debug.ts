/**
 * geth's transaction tracing: debug_traceTransaction, debug_traceCall, debug_traceBlockByNumber and
 * debug_traceBlockByHash, with the default struct logger or `{tracer: "callTracer"}`. All of it runs
 * in the call workers: tracing a mined transaction re-executes its block up to it on the parent's
 * state there, so a trace never delays block import. Errors and result shapes follow geth.
 */
import type { CallServiceApi, ReplayBlock, TraceOptions } from '../evm/call/interface.ts';
import { keccak256 } from '../evm/crypto.ts';
import type { HeaderFields } from '../evm/interface.ts';
import { bytesToHex } from '../util/bytes.ts';
import { RpcError, SERVER_ERROR, invalidParams } from './errors.ts';
import type { MethodRegistryApi } from './interface.ts';
import * as p from './params.ts';
import { callArgs, callRef, callServiceError, requireBlock, resolveBlock, type BlockResolverDeps, type ResolvedBlock } from './call-backend.ts';

export interface DebugDeps extends BlockResolverDeps {
  calls: Pick<CallServiceApi, 'traceCall' | 'traceBlock'>;
  /**
   * Who a block's fees went to and what COINBASE returned when it ran: Bor's block signer (the
   * header's coinbase is zero there). Defaults to the header's coinbase.
   */
  authorOf?: (header: HeaderFields, hash: Uint8Array) => Uint8Array | Promise<Uint8Array>;
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("5s", "1.5s", "300ms", "1m30s") → ms; geth's trace `timeout` is one. */
export function parseGoDuration(v: string): number | null {
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  while (i < v.length) {
    re.lastIndex = i;
    const m = re.exec(v);
    if (!m) return null;
    ms += Number(m[1]) * GO_UNITS[m[2]!]!;
    i = re.lastIndex;
  }
  return i > 0 ? ms : null;
}

/** geth's TraceConfig → TraceOptions (only the tracers this node has: the struct logger and callTracer). */
export function traceOptions(v: unknown, name: string): TraceOptions {
  if (v === undefined || v === null) return { tracer: 'struct' };
  const o = p.object(v, name);
  const flag = (k: string): boolean | undefined => {
    if (o[k] === undefined || o[k] === null) return undefined;
    if (typeof o[k] !== 'boolean') throw invalidParams(`invalid argument ${name}: ${k} must be true or false`);
    return o[k] as boolean;
  };
  let tracer: TraceOptions['tracer'];
  if (o.tracer === undefined || o.tracer === null || o.tracer === '') tracer = 'struct';
  else if (o.tracer === 'callTracer') tracer = 'call';
  else throw new RpcError(SERVER_ERROR, `tracer ${JSON.stringify(o.tracer)} is not available (this node has the default struct logger and "callTracer")`);
  const out: TraceOptions = { tracer };
  for (const k of ['disableStack', 'disableStorage', 'enableMemory'] as const) {
    const f = flag(k);
    if (f !== undefined) out[k] = f;
  }
  if (o.limit !== undefined && o.limit !== null) {
    if (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 0) throw invalidParams(`invalid argument ${name}: limit must be a non-negative integer`);
    out.limit = o.limit;
  }
  if (o.timeout !== undefined && o.timeout !== null) {
    const ms = typeof o.timeout === 'string' ? parseGoDuration(o.timeout) : null;
    if (ms === null) throw invalidParams(`invalid argument ${name}: timeout must be a duration such as "5s" or "500ms", got ${JSON.stringify(o.timeout)}`);
    out.timeoutMs = ms;
  }
  if (o.tracerConfig !== undefined && o.tracerConfig !== null) {
    const c = p.object(o.tracerConfig, `${name}.tracerConfig`);
    if (c.onlyTopCall !== undefined) {
      if (typeof c.onlyTopCall !== 'boolean') throw invalidParams(`invalid argument ${name}: tracerConfig.onlyTopCall must be true or false`);
      out.onlyTopCall = c.onlyTopCall;
    }
    if (c.withLog === true) throw new RpcError(SERVER_ERROR, 'callTracer: withLog is not supported by this node');
  }
  return out;
}

export function registerDebug(reg: MethodRegistryApi, deps: DebugDeps): void {
  const { chain } = deps;

  async function replayOf(block: ResolvedBlock): Promise<ReplayBlock> {
    const h = block.header;
    if (h.number === 0n) throw new RpcError(SERVER_ERROR, 'genesis is not traceable');
    const parent = await chain.getHeader(h.parentHash);
    if (!parent) throw new RpcError(SERVER_ERROR, `parent ${bytesToHex(h.parentHash)} not found`);
    const body = await chain.getBody(block.hash);
    if (!body) throw new RpcError(SERVER_ERROR, `block ${bytesToHex(block.hash)} not found`);
    return {
      parentStateRoot: parent.stateRoot,
      number: h.number,
      time: h.time,
      gasLimit: h.gasLimit,
      difficulty: h.difficulty,
      mixDigest: h.mixDigest,
      author: deps.authorOf ? await deps.authorOf(h, block.hash) : h.coinbase,
      ancestorHashes: await chain.getAncestorHashes(h.parentHash, 256),
      txs: body.txs,
      senders: body.senders,
    };
  }

  async function traceBlock(block: ResolvedBlock | null, optsArg: unknown): Promise<unknown> {
    if (!block) throw new RpcError(SERVER_ERROR, 'block not found');
    const opts = traceOptions(optsArg, '1 (config)');
    const replay = await replayOf(block);
    if (replay.txs.length === 0) return [];
    let results: unknown[];
    try {
      results = await deps.calls.traceBlock(replay, opts);
    } catch (e) {
      throw callServiceError(e);
    }
    return results.map((result, i) => ({ txHash: bytesToHex(keccak256(replay.txs[i]!)), result }));
  }

  reg.register('debug_traceTransaction', async (params) => {
    p.requireParams(params, 1, 2, 'debug_traceTransaction');
    const hash = p.hash32(params[0], '0 (hash)');
    const opts = traceOptions(params[1], '1 (config)');
    const loc = await chain.getTxLocation(hash);
    if (!loc) throw new RpcError(SERVER_ERROR, 'transaction not found');
    const header = await chain.getHeader(loc.blockHash);
    if (!header) throw new RpcError(SERVER_ERROR, 'transaction not found');
    const replay = await replayOf({ hash: loc.blockHash, header });
    try {
      const [result] = await deps.calls.traceBlock(replay, opts, loc.index);
      return result;
    } catch (e) {
      throw callServiceError(e);
    }
  });

  reg.register('debug_traceCall', async (params) => {
    p.requireParams(params, 1, 3, 'debug_traceCall');
    const args = callArgs(params[0]);
    const { header } = await requireBlock(deps, params[1], '1 (block)');
    const opts = traceOptions(params[2], '2 (config)');
    try {
      return await deps.calls.traceCall(args, callRef(header), opts);
    } catch (e) {
      throw callServiceError(e);
    }
  });

  reg.register('debug_traceBlockByNumber', async (params) => {
    p.requireParams(params, 1, 2, 'debug_traceBlockByNumber');
    return traceBlock(await resolveBlock(deps, params[0], '0 (block)'), params[1]);
  });

  reg.register('debug_traceBlockByHash', async (params) => {
    p.requireParams(params, 1, 2, 'debug_traceBlockByHash');
    const hash = p.hash32(params[0], '0 (hash)');
    const header = await chain.getHeader(hash);
    return traceBlock(header ? { hash, header } : null, params[1]);
  });
}
