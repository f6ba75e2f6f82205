/**
 * Reads checkpointed voting power from the staking chain's StakeVotes (OpenZeppelin Votes, ERC-5805
 * with an ERC-6372 block-number clock), found at `StakeManager.stakeVotes()`. Delivery serves it at
 * `/staking/voting-power/{address}`; it keeps no copy, since the contract's checkpoints are the record.
 */
import { Contract, isError, type JsonRpcProvider } from 'ethers';
import { VotingPowerQueryError, type VotingPower, type VotingPowerReader } from '../delivery/modules/staking/voting-power.ts';

const STAKE_MANAGER_ABI = ['function stakeVotes() view returns (address)'];
const STAKE_VOTES_ABI = ['function getVotes(address account) view returns (uint256)', 'function getPastVotes(address account, uint256 timepoint) view returns (uint256)'];

export class StakeVotesReader implements VotingPowerReader {
  private readonly provider: JsonRpcProvider;
  private readonly stakeManager: string;
  private votesContract: Promise<Contract> | null = null;

  constructor(deps: { provider: JsonRpcProvider; stakeManager: string }) {
    this.provider = deps.provider;
    this.stakeManager = deps.stakeManager;
  }

  private contract(): Promise<Contract> {
    if (!this.votesContract) {
      const sm = new Contract(this.stakeManager, STAKE_MANAGER_ABI, this.provider);
      this.votesContract = (sm.getFunction('stakeVotes')() as Promise<string>).then((addr) => new Contract(addr, STAKE_VOTES_ABI, this.provider));
      // A failed lookup (root chain down) is retried on the next request.
      this.votesContract.catch(() => (this.votesContract = null));
    }
    return this.votesContract;
  }

  async votes(account: string, block: number | null): Promise<VotingPower> {
    const c = await this.contract();
    const head = await this.provider.getBlockNumber();
    if (block === null) return { block: head, power: (await c.getFunction('getVotes')(account, { blockTag: head })) as bigint };
    // ERC-5805: past votes exist only for blocks before the clock (the block being built is not past).
    if (block >= head) throw new VotingPowerQueryError(`block ${block} is not in the past of the staking chain (its current block is ${head}); past votes are known for blocks before it`);
    try {
      return { block, power: (await c.getFunction('getPastVotes')(account, block)) as bigint };
    } catch (err) {
      if (isError(err, 'CALL_EXCEPTION')) throw new VotingPowerQueryError(`getPastVotes(${account}, ${block}) reverted: ${err.reason ?? err.shortMessage}`);
      throw err;
    }
  }
}
