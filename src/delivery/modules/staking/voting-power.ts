/**
 * Checkpointed voting power is the root contracts' (StakeVotes, an OpenZeppelin Votes with a
 * block-number clock): Delivery keeps no copy of it. `/staking/voting-power/{address}` asks the
 * staking chain through this reader, implemented over the root-chain client (src/root/stake-votes.ts).
 */

export interface VotingPower {
  /** The root-chain block the power is read at. */
  block: number;
  /** Votes in wei of stake. */
  power: bigint;
}

export interface VotingPowerReader {
  /** getPastVotes(account, block) at `block`; getVotes(account) at the current clock() when `block` is null. */
  votes(account: string, block: number | null): Promise<VotingPower>;
}

/** The contract refused the question (e.g. a block not yet mined): the caller's mistake, not an outage. */
export class VotingPowerQueryError extends Error {}
