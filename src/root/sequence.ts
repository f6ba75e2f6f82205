/**
 * Replay protection for root-chain events (protocol §6): each event gets a sequence number that is
 * unique per root chain (staking events) or across root chains (state sync, "clerk" records).
 */
export const LOG_INDEX_MULTIPLIER = 100000n;
export const CLERK_CHAIN_MULTIPLIER = 100n;

/** `blockNumber * 100000 + logIndex` */
export function stakingSequence(blockNumber: number | bigint, logIndex: number | bigint): bigint {
  const li = BigInt(logIndex);
  if (li < 0n || li >= LOG_INDEX_MULTIPLIER) throw new RangeError(`log index ${logIndex} out of range for a staking sequence`);
  return BigInt(blockNumber) * LOG_INDEX_MULTIPLIER + li;
}

/** `(blockNumber * 100000 + logIndex) * 100 + rootChainId` */
export function clerkSequence(blockNumber: number | bigint, logIndex: number | bigint, rootChainId: number): bigint {
  if (!Number.isInteger(rootChainId) || rootChainId < 0 || rootChainId >= 100) throw new RangeError(`root chain id ${rootChainId} out of range for a clerk sequence`);
  return stakingSequence(blockNumber, logIndex) * CLERK_CHAIN_MULTIPLIER + BigInt(rootChainId);
}
