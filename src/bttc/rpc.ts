/**
 * The bor_* JSON-RPC methods Delivery and tools call on a Bttc node, registered into the node's
 * method registry (src/rpc):
 * - `bor_getRootHash(start, end)`: the checkpoint root over blocks [start, end] (spec §2) as Bor
 *   returns it, hex without 0x; at most 2^15 blocks, end ≤ head. Computed in the hash pool when the
 *   node has one (roots over long ranges are thousands of hashes), inline otherwise. Cached by range
 *   and end-block hash, so a reorg can never serve a stale root.
 * - `bor_getAuthor(block)`: the signer recovered from the block's seal (cached by block hash).
 */
import type { ChainStoreApi } from '../chain/interface.ts';
import { checkpointRoot, MAX_ROOT_HASH_BLOCKS, type CheckpointHeader } from '../merkle/checkpoint.ts';
import { RpcError, SERVER_ERROR, invalidParams } from '../rpc/errors.ts';
import type { MethodRegistryApi } from '../rpc/interface.ts';
import { blockTag, quantity, requireParams } from '../rpc/params.ts';
import { bytesToHex } from '../util/bytes.ts';
import { headerHash } from './engine/header.ts';
import { SealError, SignerCache } from './engine/seal.ts';
import type { BttcHeader } from './engine/types.ts';
import { LruCache } from './util/lru.ts';

export interface BorRpcDeps {
  chain: Pick<ChainStoreApi, 'head' | 'getHeader' | 'getHeaderByNumber' | 'getCanonicalHash'>;
  signers?: SignerCache;
  hashPool?: { checkpointRoot(range: readonly CheckpointHeader[]): Promise<Uint8Array> } | null;
  /** Finalized number for the "finalized"/"safe" tags of bor_getAuthor. */
  finalizedNumber?: () => bigint | undefined;
}

/** Bor takes uint64 arguments: JSON numbers (as Delivery sends them) or hex quantities. */
function uint64Arg(v: unknown, name: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw invalidParams(`invalid argument ${name}: expected a non-negative integer, got ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return BigInt(v);
  return quantity(v, name);
}

export function registerBorMethods(registry: MethodRegistryApi, deps: BorRpcDeps): void {
  const signers = deps.signers ?? new SignerCache();
  const rootCache = new LruCache<string, string>(256);

  async function headerAt(n: bigint): Promise<BttcHeader> {
    const h = await deps.chain.getHeaderByNumber(n);
    if (!h) throw new RpcError(SERVER_ERROR, `block ${n} not found`);
    return h;
  }

  registry.register('bor_getRootHash', async (params) => {
    requireParams(params, 2, 2, 'bor_getRootHash');
    const start = uint64Arg(params[0], 'start');
    const end = uint64Arg(params[1], 'end');
    const head = deps.chain.head().number;
    if (start > end || end > head) throw new RpcError(SERVER_ERROR, `Invalid start end block (start: ${start}, end: ${end}, currentHeader: ${head})`);
    const length = end - start + 1n;
    if (length > BigInt(MAX_ROOT_HASH_BLOCKS)) throw new RpcError(SERVER_ERROR, `Start and end block are out of max checkpoint length limit ${MAX_ROOT_HASH_BLOCKS} (start: ${start}, end: ${end})`);
    const endHash = await deps.chain.getCanonicalHash(end);
    if (!endHash) throw new RpcError(SERVER_ERROR, `block ${end} not found`);
    const key = `${start}:${end}:${bytesToHex(endHash)}`;
    const cached = rootCache.get(key);
    if (cached) return cached;
    const headers: CheckpointHeader[] = new Array(Number(length));
    // Bounded fan-out: enough parallel reads to hide LevelDB latency without flooding its thread pool.
    const CHUNK = 256;
    for (let off = 0; off < headers.length; off += CHUNK) {
      const part = await Promise.all(Array.from({ length: Math.min(CHUNK, headers.length - off) }, (_, i) => headerAt(start + BigInt(off + i))));
      part.forEach((h, i) => (headers[off + i] = { number: h.number, timestamp: h.time, txRoot: h.txRoot, receiptsRoot: h.receiptRoot }));
    }
    const root = deps.hashPool ? await deps.hashPool.checkpointRoot(headers) : checkpointRoot(headers);
    const hex = Buffer.from(root).toString('hex');
    rootCache.set(key, hex);
    return hex;
  });

  registry.register('bor_getAuthor', async (params) => {
    requireParams(params, 0, 1, 'bor_getAuthor');
    const tag = blockTag(params[0], 'block');
    let header: BttcHeader | undefined;
    switch (tag.kind) {
      case 'hash':
        header = await deps.chain.getHeader(tag.hash);
        break;
      case 'number':
        header = await deps.chain.getHeaderByNumber(tag.number);
        break;
      case 'earliest':
        header = await deps.chain.getHeaderByNumber(0n);
        break;
      case 'finalized':
      case 'safe': {
        const n = deps.finalizedNumber?.();
        if (n === undefined) throw new RpcError(SERVER_ERROR, 'no finalized block yet');
        header = await deps.chain.getHeaderByNumber(n);
        break;
      }
      default:
        header = deps.chain.head().header;
    }
    if (!header) throw new RpcError(SERVER_ERROR, 'unknown block');
    if (header.number === 0n) throw new RpcError(SERVER_ERROR, 'the genesis block has no author');
    try {
      return bytesToHex(signers.recover(header, headerHash(header)));
    } catch (err) {
      if (err instanceof SealError) throw new RpcError(SERVER_ERROR, err.message);
      throw err;
    }
  });
}
