/**
 * StakeVotes (issue 16): checkpointed voting power with an ERC-6372 block clock and the ERC-5805
 * reads. Units are created by staking and buying, destroyed by unstaking and selling, follow the
 * validator NFT, and move with `delegate`; every change emits VotesMoved.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { id as keccakText } from 'ethers';
import { testKey } from '../helpers/keys.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { E18 } from './fixture.ts';
import { deployStakingSet, fundStaker, shareOf, view, ZERO_ADDRESS, type StakingSet } from './staking-fixture.ts';

const D = 2000n * E18;

async function votes(set: StakingSet, who: string): Promise<bigint> {
  return view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [who]);
}
async function pastVotes(set: StakingSet, who: string, block: bigint): Promise<bigint> {
  return view(set, 'StakeVotes', set.stakeVotes, 'getPastVotes', [who, block]);
}
async function pastTotal(set: StakingSet, block: bigint): Promise<bigint> {
  return view(set, 'StakeVotes', set.stakeVotes, 'getPastTotalSupply', [block]);
}

describe('StakeVotes: interface', () => {
  it("events are OpenZeppelin's (DelegateChanged, DelegateVotesChanged) plus VotesMoved", () => {
    const abi = loadArtifacts().StakeVotes!.abi.filter((i) => i.type === 'event') as { name: string; inputs: { type: string; indexed: boolean; name: string }[] }[];
    const sig = (n: string) => {
      const e = abi.find((x) => x.name === n)!;
      return `${n}(${e.inputs.map((i) => `${i.type}${i.indexed ? ' indexed' : ''} ${i.name}`).join(', ')})`;
    };
    assert.equal(sig('DelegateChanged'), 'DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate)');
    assert.equal(sig('DelegateVotesChanged'), 'DelegateVotesChanged(address indexed delegate, uint256 previousVotes, uint256 newVotes)');
    assert.equal(sig('VotesMoved'), 'VotesMoved(address indexed account, address indexed fromDelegatee, address indexed toDelegatee, uint256 amount, uint256 blockNumber)');
    // OZ's topic0s (ERC-5805 consumers filter on them).
    assert.equal(keccakText('DelegateChanged(address,address,address)'), '0x3134e8a2e6d97e929a7e54011ea5485d7d196dd5f0ba4d4ef95803e8e3fc257f');
    assert.equal(keccakText('DelegateVotesChanged(address,uint256,uint256)'), '0xdec2bacdd2f05b59de34da9b523dff8be42e5e38e818c82fdb0bae774387a724');
    assert.equal(abi.length, 3);
  });

  it('clock is the block number, CLOCK_MODE says so; future lookups revert', async () => {
    const set = await deployStakingSet({ validators: 1 });
    const clock = await view(set, 'StakeVotes', set.stakeVotes, 'clock');
    assert.equal(clock, set.chain.number, 'calls run in the next block');
    assert.equal(await view<string>(set, 'StakeVotes', set.stakeVotes, 'CLOCK_MODE'), 'mode=blocknumber&from=default');
    await assert.rejects(pastVotes(set, set.vals[0]!.owner.addressHex, clock), /StakeVotes: future lookup/);
    await assert.rejects(pastTotal(set, clock + 5n), /StakeVotes: future lookup/);
  });

  it('only the StakeManager and its staking contracts write units', async () => {
    const set = await deployStakingSet({ validators: 1 });
    const stranger = testKey('votes-stranger');
    await set.chain.fund(stranger.addressHex);
    for (const fn of ['mint', 'burn'])
      assert.equal((await set.chain.send(stranger, 'StakeVotes', set.stakeVotes, fn, [stranger.addressHex, 1n])).revert, 'StakeVotes: only the StakeManager or its staking contracts', fn);
  });
});

describe('StakeVotes: units follow stake', () => {
  it("stakeFor creates the owner's units (from 0), unstake destroys them (to 0); an account that never delegated votes for itself", async () => {
    const set = await deployStakingSet({ validators: 2 });
    const [a] = set.vals;
    const owner = a!.owner.addressHex;
    assert.equal((await view<string>(set, 'StakeVotes', set.stakeVotes, 'delegates', [owner])).toLowerCase(), owner);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'votingUnits', [owner]), D);
    assert.equal(await votes(set, owner), D);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'totalSupply'), 2n * D);
    const stakedAt = set.chain.number - 1n;
    const un = await set.chain.send(a!.owner, 'StakeManager', set.stakeManager, 'unstake', [set.ids.get(a!)!]);
    assert.ok(un.ok, un.revert);
    const unBlock = set.chain.number - 1n;
    const moved = un.logs.find((l) => l.name === 'VotesMoved')!;
    assert.deepEqual(
      [moved.address, moved.args.account.toLowerCase(), moved.args.fromDelegatee.toLowerCase(), moved.args.toDelegatee, moved.args.amount, moved.args.blockNumber],
      [set.stakeVotes, owner, owner, ZERO_ADDRESS, D, unBlock],
    );
    assert.equal(await votes(set, owner), 0n);
    assert.equal(await pastVotes(set, owner, unBlock - 1n), D);
    assert.equal(await pastVotes(set, owner, unBlock), 0n);
    assert.equal(await pastTotal(set, unBlock), D);
    assert.equal(await pastTotal(set, stakedAt), 2n * D);
    assert.equal(await pastTotal(set, 1n), 0n, 'before any stake');
  });

  it('delegate moves all units (present and future) to the delegatee, with OZ events; delegate(self) takes them back', async () => {
    const set = await deployStakingSet({ validators: 1 });
    const v = set.vals[0]!;
    const share = await shareOf(set, set.ids.get(v)!);
    const d = testKey('votes-deleg');
    const rep = testKey('votes-rep');
    await fundStaker(set, d, 3n * E18);
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [E18, 0n])).ok);
    assert.equal(await votes(set, d.addressHex), E18);
    assert.equal((await set.chain.send(d, 'StakeVotes', set.stakeVotes, 'delegate', [ZERO_ADDRESS])).revert, 'StakeVotes: cannot delegate to the zero address');

    const out = await set.chain.send(d, 'StakeVotes', set.stakeVotes, 'delegate', [rep.addressHex]);
    assert.ok(out.ok, out.revert);
    const block = set.chain.number - 1n;
    const changed = out.logs.find((l) => l.name === 'DelegateChanged')!;
    assert.deepEqual([changed.args.delegator.toLowerCase(), changed.args.fromDelegate.toLowerCase(), changed.args.toDelegate.toLowerCase()], [d.addressHex, d.addressHex, rep.addressHex]);
    const vc = out.logs.filter((l) => l.name === 'DelegateVotesChanged').map((l) => [l.args.delegate.toLowerCase(), l.args.previousVotes, l.args.newVotes]);
    assert.deepEqual(vc, [
      [d.addressHex, E18, 0n],
      [rep.addressHex, 0n, E18],
    ]);
    const moved = out.logs.find((l) => l.name === 'VotesMoved')!;
    assert.deepEqual([moved.args.fromDelegatee.toLowerCase(), moved.args.toDelegatee.toLowerCase(), moved.args.amount, moved.args.blockNumber], [d.addressHex, rep.addressHex, E18, block]);
    assert.equal(await votes(set, d.addressHex), 0n);
    assert.equal(await votes(set, rep.addressHex), E18);
    assert.equal((await view<string>(set, 'StakeVotes', set.stakeVotes, 'delegates', [d.addressHex])).toLowerCase(), rep.addressHex);

    // Later stake counts for the delegatee too; a sale takes it from the delegatee.
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [2n * E18, 0n])).ok);
    assert.equal(await votes(set, rep.addressHex), 3n * E18);
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'sellVoucher_new', [E18, E18])).ok);
    assert.equal(await votes(set, rep.addressHex), 2n * E18);
    assert.equal(await pastVotes(set, rep.addressHex, block), E18);
    assert.equal(await pastVotes(set, d.addressHex, block - 1n), E18);

    assert.ok((await set.chain.send(d, 'StakeVotes', set.stakeVotes, 'delegate', [d.addressHex])).ok);
    assert.equal(await votes(set, rep.addressHex), 0n);
    assert.equal(await votes(set, d.addressHex), 2n * E18);
  });

  it("the self-stake's units follow the validator NFT when it is transferred", async () => {
    const set = await deployStakingSet({ validators: 1 });
    const v = set.vals[0]!;
    const id = set.ids.get(v)!;
    const buyer = testKey('votes-nft-buyer');
    const out = await set.chain.send(v.owner, 'StakingNFT', set.nft, 'transferFrom', [v.owner.addressHex, buyer.addressHex, id]);
    assert.ok(out.ok, out.revert);
    assert.equal(await votes(set, v.owner.addressHex), 0n);
    assert.equal(await votes(set, buyer.addressHex), D);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'totalSupply'), D);
    const stranger = testKey('votes-hook-stranger');
    await set.chain.fund(stranger.addressHex);
    assert.equal((await set.chain.send(stranger, 'StakeManager', set.stakeManager, 'onValidatorTransfer', [id, buyer.addressHex, stranger.addressHex])).revert, 'StakeManager: only the StakingNFT');
  });

  it('one checkpoint per change; binary-search lookups are right at every block across many checkpoints', async () => {
    const set = await deployStakingSet({ validators: 1 });
    const v = set.vals[0]!;
    const share = await shareOf(set, set.ids.get(v)!);
    const d = testKey('votes-many');
    await fundStaker(set, d, 100n * E18);
    const blocks: bigint[] = [];
    for (let i = 1n; i <= 20n; i++) {
      assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [i * 10n ** 16n, 0n])).ok);
      blocks.push(set.chain.number - 1n);
    }
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'numCheckpoints', [d.addressHex]), 20n);
    let sum = 0n;
    for (const [i, b] of blocks.entries()) {
      sum += BigInt(i + 1) * 10n ** 16n;
      assert.equal(await pastVotes(set, d.addressHex, b), sum, `block ${b}`);
    }
    assert.equal(await pastVotes(set, d.addressHex, blocks[0]! - 1n), 0n);
  });
});
