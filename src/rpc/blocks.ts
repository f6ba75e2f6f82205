/**
 * Block tags to stored blocks, shared by the eth namespace, log queries and filters: "latest" and
 * "pending" are the head (no pending block is built for RPC), "finalized"/"safe" the last block a
 * checkpoint covers, EIP-1898 objects by hash with `requireCanonical`.
 */
import type { HeaderFields } from '../evm/interface.ts';
import { equalBytes } from '../util/bytes.ts';
import { RpcError, SERVER_ERROR } from './errors.ts';
import { hex } from './format.ts';
import type { EthBackend } from './interface.ts';
import * as p from './params.ts';

export interface BlockRef {
  hash: Uint8Array;
  header: HeaderFields;
}

export interface BlockResolver {
  /** The block a tag names; null when there is none (unknown number or hash). */
  resolve(tagArg: unknown, name: string): Promise<BlockRef | null>;
  byNumber(n: bigint): Promise<BlockRef | null>;
}

export function blockResolver(b: Pick<EthBackend, 'chain' | 'finalizedNumber'>): BlockResolver {
  const chain = b.chain;

  async function byNumber(n: bigint): Promise<BlockRef | null> {
    const hash = await chain.getCanonicalHash(n);
    if (!hash) return null;
    const header = await chain.getHeader(hash);
    return header ? { hash, header } : null;
  }

  async function resolve(tagArg: unknown, name: string): Promise<BlockRef | null> {
    const tag = p.blockTag(tagArg, name);
    switch (tag.kind) {
      case 'latest':
      case 'pending': {
        const h = chain.head();
        return { hash: h.hash, header: h.header };
      }
      case 'earliest':
        return byNumber(0n);
      case 'finalized':
      case 'safe': {
        const n = b.finalizedNumber ? await b.finalizedNumber() : undefined;
        if (n === undefined) throw new RpcError(SERVER_ERROR, `${tag.kind} block not found`);
        return byNumber(n);
      }
      case 'number':
        return byNumber(tag.number);
      case 'hash': {
        const header = await chain.getHeader(tag.hash);
        if (!header) return null;
        if (tag.requireCanonical) {
          const c = await chain.getCanonicalHash(header.number);
          if (!c || !equalBytes(c, tag.hash)) throw new RpcError(SERVER_ERROR, `hash ${hex(tag.hash)} is not currently canonical`);
        }
        return { hash: tag.hash, header };
      }
    }
  }

  return { resolve, byNumber };
}
