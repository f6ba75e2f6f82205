/**
 * ValidatorPartnership (issue 16): the validator NFT held by a contract, partners' shares of the
 * self-stake, rewards pro rata, join by restaking, leave with the unbonding delay, leaving twice
 * reverts. Partner events come from StakingInfo, and only from the validator's registered partnership.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testKey } from '../helpers/keys.ts';
import { E18 } from './fixture.ts';
import { balance, checkpoint, deployStakingSet, fundStaker, view, type StakingSet } from './staking-fixture.ts';

const D = 2000n * E18;

async function withPartnership(params = {}): Promise<{ set: StakingSet; id: bigint; p: string }> {
  const set = await deployStakingSet({ validators: 2, params: { minDeposit: 1000n * E18, ...params } });
  const v = set.vals[0]!;
  const id = set.ids.get(v)!;
  const out = await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'createPartnership', [id]);
  assert.ok(out.ok, out.revert);
  const p = (await view<string>(set, 'StakeManager', set.stakeManager, 'partnershipOf', [id])).toLowerCase();
  set.chain.at('ValidatorPartnership', p);
  return { set, id, p };
}

describe('ValidatorPartnership', () => {
  it('createPartnership moves the NFT to the contract; the founder holds the whole self-stake; only once', async () => {
    const { set, id, p } = await withPartnership();
    const founder = set.vals[0]!.owner;
    assert.equal((await view<string>(set, 'StakeManager', set.stakeManager, 'ownerOf', [id])).toLowerCase(), p);
    assert.equal(await view(set, 'ValidatorPartnership', p, 'shares', [founder.addressHex]), D);
    assert.equal(await view(set, 'ValidatorPartnership', p, 'totalShares'), D);
    assert.deepEqual(
      (await view<string[]>(set, 'ValidatorPartnership', p, 'partners')).map((a) => a.toLowerCase()),
      [founder.addressHex],
    );
    // Votes did not move: the founder already held them.
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [founder.addressHex]), D);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [p]), 0n);
    assert.equal((await set.chain.send(founder, 'StakeManager', set.stakeManager, 'createPartnership', [id])).revert, "StakeManager: not the validator's owner");
    assert.equal((await set.chain.send(founder, 'ValidatorPartnership', p, 'initialize', [id, founder.addressHex, 1n])).revert, 'ValidatorPartnership: only the StakeManager');
    // Partner events only from the registered partnership.
    for (const [fn, args] of [
      ['logPartnerJoined', [id, founder.addressHex, 1n, 1n]],
      ['logPartnerLeaveInit', [id, founder.addressHex, 1n, 1n]],
      ['logPartnerLeft', [id, founder.addressHex, 1n]],
    ] as [string, unknown[]][])
      assert.equal((await set.chain.send(founder, 'StakingInfo', set.stakingInfo, fn, args)).revert, "StakingInfo: only the validator's partnership", fn);
  });

  it('join restakes through the StakeManager, mints shares and units, logs PartnerJoined; rewards split pro rata', async () => {
    const { set, id, p } = await withPartnership();
    const founder = set.vals[0]!.owner;
    const partner = testKey('partner-join');
    await fundStaker(set, partner, D, p);
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'join', [0n])).revert, 'ValidatorPartnership: cannot join with 0');
    const out = await set.chain.send(partner, 'ValidatorPartnership', p, 'join', [D]);
    assert.ok(out.ok, out.revert);
    const joined = out.logs.find((l) => l.name === 'PartnerJoined')!;
    assert.deepEqual([joined.address, joined.args.validatorId, joined.args.partner.toLowerCase(), joined.args.amount, joined.args.shares], [set.stakingInfo, id, partner.addressHex, D, D]);
    assert.ok(out.logs.some((l) => l.name === 'StakeUpdate' && l.args.newAmount === 2n * D));
    assert.equal(await view(set, 'StakeManager', set.stakeManager, 'validatorStake', [id]), 2n * D);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [partner.addressHex]), D);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [p]), 0n, 'the partnership itself holds no power');

    // Checkpoint: 900 over 6000 staked → this validator (4000) earns 600, split 300/300.
    assert.ok((await checkpoint(set, { proposer: set.vals[1]! })).ok);
    assert.equal(await view(set, 'ValidatorPartnership', p, 'pendingRewards', [partner.addressHex]), 300n * E18);
    assert.equal(await view(set, 'ValidatorPartnership', p, 'pendingRewards', [founder.addressHex]), 300n * E18);
    const before = await balance(set, partner.addressHex);
    assert.ok((await set.chain.send(partner, 'ValidatorPartnership', p, 'withdrawRewards')).ok);
    assert.equal((await balance(set, partner.addressHex)) - before, 300n * E18);
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'withdrawRewards')).revert, 'ValidatorPartnership: no rewards to withdraw');
    assert.equal(await view(set, 'ValidatorPartnership', p, 'pendingRewards', [founder.addressHex]), 300n * E18);
  });

  it('leave: stake and units end now, PartnerLeaveInit; leaving twice reverts; claim after the delay pays and logs PartnerLeft', async () => {
    const { set, id, p } = await withPartnership({ withdrawalDelay: 2n });
    const founder = set.vals[0]!.owner;
    const partner = testKey('partner-leave');
    const stranger = testKey('partner-stranger');
    await set.chain.fund(stranger.addressHex);
    await fundStaker(set, partner, D, p);
    assert.ok((await set.chain.send(partner, 'ValidatorPartnership', p, 'join', [D])).ok);
    assert.equal((await set.chain.send(stranger, 'ValidatorPartnership', p, 'leave')).revert, 'ValidatorPartnership: not a partner');
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'claimLeave')).revert, 'ValidatorPartnership: nothing to claim');

    const out = await set.chain.send(partner, 'ValidatorPartnership', p, 'leave');
    assert.ok(out.ok, out.revert);
    const epoch = await view(set, 'StakeManager', set.stakeManager, 'epoch');
    const init = out.logs.find((l) => l.name === 'PartnerLeaveInit')!;
    assert.deepEqual([init.address, init.args.validatorId, init.args.partner.toLowerCase(), init.args.amount, init.args.withdrawEpoch], [set.stakingInfo, id, partner.addressHex, D, epoch + 2n]);
    assert.equal(await view(set, 'StakeManager', set.stakeManager, 'validatorStake', [id]), D);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [partner.addressHex]), 0n);
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'leave')).revert, 'ValidatorPartnership: partner already left');
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'join', [E18])).revert, 'ValidatorPartnership: partner is leaving; claim first');
    // The last partner cannot leave: the validator would have no self-stake.
    assert.equal((await set.chain.send(founder, 'ValidatorPartnership', p, 'leave')).revert, 'ValidatorPartnership: the last partner cannot leave (unstake the validator instead)');

    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'claimLeave')).revert, 'ValidatorPartnership: withdrawal delay not over');
    assert.ok((await checkpoint(set)).ok);
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'claimLeave')).revert, 'ValidatorPartnership: withdrawal delay not over');
    assert.ok((await checkpoint(set)).ok);
    const before = await balance(set, partner.addressHex);
    const claim = await set.chain.send(partner, 'ValidatorPartnership', p, 'claimLeave');
    assert.ok(claim.ok, claim.revert);
    const left = claim.logs.find((l) => l.name === 'PartnerLeft')!;
    assert.deepEqual([left.address, left.args.validatorId, left.args.partner.toLowerCase(), left.args.amount], [set.stakingInfo, id, partner.addressHex, D]);
    assert.equal((await balance(set, partner.addressHex)) - before, D);
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'claimLeave')).revert, 'ValidatorPartnership: nothing to claim');
    assert.equal((await set.chain.send(partner, 'ValidatorPartnership', p, 'leave')).revert, 'ValidatorPartnership: partner already left');
  });

  it('a leave that would take the self-stake below the minimum deposit is refused by the StakeManager; only the partnership may call it', async () => {
    const { set, id, p } = await withPartnership({ minDeposit: 1500n * E18 });
    const partner = testKey('partner-min');
    await fundStaker(set, partner, 500n * E18, p);
    assert.ok((await set.chain.send(partner, 'ValidatorPartnership', p, 'join', [500n * E18])).ok);
    // Founder 2000 of 2500: leaving would leave 500 < 1500.
    assert.equal((await set.chain.send(set.vals[0]!.owner, 'ValidatorPartnership', p, 'leave')).revert, 'StakeManager: self-stake would fall below the minimum deposit');
    assert.equal((await set.chain.send(set.vals[0]!.owner, 'StakeManager', set.stakeManager, 'partnerUnstake', [id, 1n])).revert, "StakeManager: only the validator's partnership");
  });
});
