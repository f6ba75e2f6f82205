/**
 * The checkpoint-sync record Delivery signs for TRON after an Ethereum or BSC checkpoint (spec §4):
 * abi.encode(address proposer, uint256 start, uint256 end, uint256 checkpointNumber, uint256 rootChainId),
 * signed like a checkpoint (keccak256(0x01 ‖ data)) and sent to StakeManager.submitCheckpointSync.
 */
import { encodeStaticWords } from '../../abi/encode.ts';
import { signRsv } from '../../crypto/secp256k1.ts';
import { voteHash, CheckpointError, address } from './checkpoint.ts';

/** Delivery's root chain ids. */
export const ROOT_CHAIN_IDS = { tron: 1, ethereum: 2, bsc: 3 } as const;

export interface CheckpointSync {
  proposer: string;
  start: number;
  end: number;
  /** Header block number of the checkpoint on its root chain. */
  checkpointNumber: number;
  /** The root chain that took the checkpoint (2 Ethereum, 3 BSC). */
  rootChainId: number;
}

export function parseCheckpointSync(json: unknown, what = 'checkpoint sync'): CheckpointSync {
  if (json === null || typeof json !== 'object') throw new CheckpointError(`${what}: expected an object`);
  const o = json as Record<string, unknown>;
  const n = (k: string): number => {
    const v = typeof o[k] === 'string' && /^\d+$/.test(o[k] as string) ? Number(o[k]) : o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CheckpointError(`${what}.${k}: expected a non-negative integer, got ${JSON.stringify(o[k])}`);
    return v;
  };
  const s: CheckpointSync = { proposer: address(o.proposer, `${what}.proposer`), start: n('start'), end: n('end'), checkpointNumber: n('checkpointNumber'), rootChainId: n('rootChainId') };
  if (!Object.values(ROOT_CHAIN_IDS).includes(s.rootChainId as 1 | 2 | 3)) throw new CheckpointError(`${what}.rootChainId: expected 1 (TRON), 2 (Ethereum) or 3 (BSC), got ${s.rootChainId}`);
  return s;
}

export function checkpointSyncSignBytes(s: CheckpointSync): Uint8Array {
  return encodeStaticWords([
    { type: 'address', value: s.proposer },
    { type: 'uint256', value: s.start },
    { type: 'uint256', value: s.end },
    { type: 'uint256', value: s.checkpointNumber },
    { type: 'uint256', value: s.rootChainId },
  ]);
}

export function checkpointSyncVoteHash(s: CheckpointSync): Uint8Array {
  return voteHash(checkpointSyncSignBytes(s));
}

export function signCheckpointSync(s: CheckpointSync, signerKey: Uint8Array): Uint8Array {
  return signRsv(checkpointSyncVoteHash(s), signerKey);
}
