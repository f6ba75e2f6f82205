/**
 * The gov module's reads of the staking chain (src/delivery/modules/gov/reader.ts) over an EVM
 * provider: the Governor's StakeVotes (`Governor.votes()`) for getPastVotes/getPastTotalSupply at a
 * proposal's snapshot, and the head less the chain's confirmations (a tally is proposed and checked
 * only once the deadline is that deep, spec §10). TRON has no historical calls: no reader there.
 */
import { Contract, type JsonRpcProvider } from 'ethers';
import type { GovRootReader } from '../delivery/modules/gov/reader.ts';

const GOVERNOR_ABI = ['function votes() view returns (address)', 'function state(uint256 proposalId) view returns (uint8)'];
/** Governor.ProposalState: Pending, Active, Tallying, then Defeated, Succeeded, Queued, Executed (a tally is anchored). */
const FIRST_ANCHORED_STATE = 3n;
const VOTES_ABI = ['function getPastVotes(address account, uint256 timepoint) view returns (uint256)', 'function getPastTotalSupply(uint256 timepoint) view returns (uint256)'];

export class EvmGovReader implements GovRootReader {
  readonly governor: string;
  private readonly provider: JsonRpcProvider;
  private readonly confirmations: number;
  private votes: Promise<Contract> | null = null;
  private chain: Promise<bigint> | null = null;

  constructor(opts: { governor: string; confirmations: number }, deps: { provider: JsonRpcProvider }) {
    this.governor = opts.governor.toLowerCase();
    this.confirmations = opts.confirmations;
    this.provider = deps.provider;
  }

  private contract(): Promise<Contract> {
    if (!this.votes) {
      const g = new Contract(this.governor, GOVERNOR_ABI, this.provider);
      this.votes = (g.getFunction('votes')() as Promise<string>).then((addr) => new Contract(addr, VOTES_ABI, this.provider));
      // A failed lookup (root chain down) is retried on the next read.
      this.votes.catch(() => (this.votes = null));
    }
    return this.votes;
  }

  chainId(): Promise<bigint> {
    if (!this.chain) {
      this.chain = this.provider.getNetwork().then((n) => n.chainId);
      this.chain.catch(() => (this.chain = null));
    }
    return this.chain;
  }

  async confirmedHead(): Promise<number> {
    return (await this.provider.getBlockNumber()) - this.confirmations;
  }

  async pastVotes(voter: string, block: number): Promise<bigint> {
    return (await (await this.contract()).getFunction('getPastVotes')(voter, block)) as bigint;
  }

  async anchored(proposalId: string): Promise<boolean> {
    const g = new Contract(this.governor, GOVERNOR_ABI, this.provider);
    return ((await g.getFunction('state')(BigInt(proposalId))) as bigint) >= FIRST_ANCHORED_STATE;
  }

  async pastTotalSupply(block: number): Promise<bigint> {
    return (await (await this.contract()).getFunction('getPastTotalSupply')(block)) as bigint;
  }
}
