/**
 * `audit checkpoint`: the root a RootChain stores for a header block, recomputed from the Bttc blocks
 * it covers (spec §2: leaves over number, timestamp, transactionsRoot, receiptsRoot). Before fetching
 * a block, the two endpoints are checked to be one network: the RootChain's CHAINID must be the
 * chain id the Bttc RPC serves (199 on mainnet), so a Donau RPC against a mainnet RootChain is bad
 * input, not a "mismatch".
 */
import { checkpointRoot, MAX_ROOT_HASH_BLOCKS } from '../merkle/checkpoint.ts';
import { bytesToHex } from '../util/bytes.ts';
import { AuditError, type BttcHeaderSource, type CheckpointAuditResult, type Progress, type RootChainReader } from './interface.ts';
import { HEADER_BLOCK_STEP } from './root-chain.ts';

export interface CheckpointAuditInput {
  headerBlock: bigint;
  onProgress?: Progress;
}

export interface CheckpointAuditDeps {
  root: RootChainReader;
  bttc: BttcHeaderSource;
}

/** `--header-block`: a positive multiple of 10000 (as decimal text). */
export function parseHeaderBlockId(raw: string): bigint {
  if (!/^\d+$/.test(raw)) throw new AuditError(`--header-block: expected a header block id (10000, 20000, …), got ${JSON.stringify(raw)}`);
  const id = BigInt(raw);
  if (id === 0n || id % HEADER_BLOCK_STEP !== 0n) throw new AuditError(`--header-block: ${raw} is not a header block id: the RootChain numbers checkpoints 10000, 20000, … (the k-th is k×10000)`);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) throw new AuditError(`--header-block: ${raw} is too large`);
  return id;
}

export async function auditCheckpoint(input: CheckpointAuditInput, deps: CheckpointAuditDeps): Promise<CheckpointAuditResult> {
  const { root, bttc } = deps;
  const [hb, rootChainId, bttcChainId] = await Promise.all([root.headerBlock(input.headerBlock), root.bttcChainId(), bttc.chainId()]);
  if (!hb) {
    const current = await root.currentHeaderBlock();
    throw new AuditError(`${root.describe}: no header block ${input.headerBlock} (the latest is ${current === 0n ? 'none: no checkpoint yet' : current})`);
  }
  if (rootChainId !== null && rootChainId !== bttcChainId) {
    throw new AuditError(`${root.describe} takes checkpoints of Bttc chain ${rootChainId}, but --bttc-rpc ${bttc.url} serves chain ${bttcChainId}: not the same network`);
  }
  if (hb.end < hb.start) throw new AuditError(`${root.describe}: header block ${hb.id} ends (${hb.end}) before it starts (${hb.start})`);
  const count = hb.end - hb.start + 1n;
  if (hb.end > BigInt(Number.MAX_SAFE_INTEGER)) throw new AuditError(`${root.describe}: header block ${hb.id} ends at block ${hb.end}, beyond any Bttc chain`);
  if (count > BigInt(MAX_ROOT_HASH_BLOCKS)) throw new AuditError(`${root.describe}: header block ${hb.id} covers ${count} blocks, more than the ${MAX_ROOT_HASH_BLOCKS} a checkpoint root can cover`);
  const headers = await bttc.headers(Number(hb.start), Number(hb.end), input.onProgress);
  const recomputed = bytesToHex(checkpointRoot(headers));
  return { headerBlock: Number(hb.id), start: Number(hb.start), end: Number(hb.end), root: hb.root, recomputed, match: recomputed === hb.root };
}
