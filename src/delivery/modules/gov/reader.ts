/**
 * What the gov module reads from the staking chain, outside consensus: a validator's check of a tally
 * (and the proposer's building of one) reads the checkpointed power at the snapshot itself. Implemented
 * over the root-chain client's provider in src/root/gov-reader.ts.
 */
export interface GovRootReader {
  /** The Governor whose proposals are mirrored (lower-case 0x). */
  readonly governor: string;
  /** The staking chain's EVM chain id: the ballot domain's and the tally record's. */
  chainId(): Promise<bigint>;
  /** The newest staking-chain block with the configured confirmations (voting is over once it passes the deadline). */
  confirmedHead(): Promise<number>;
  /** StakeVotes.getPastVotes(voter, block). */
  pastVotes(voter: string, block: number): Promise<bigint>;
  /** StakeVotes.getPastTotalSupply(block). */
  pastTotalSupply(block: number): Promise<bigint>;
  /** True once the Governor holds a tally for the proposal (state Defeated or later). */
  anchored(proposalId: string): Promise<boolean>;
}
