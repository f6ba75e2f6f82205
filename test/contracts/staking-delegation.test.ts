/**
 * ValidatorShare and the StakeManager's delegation side (issue 16): buy, sell, claim after the
 * unbonding delay, rewards split by stake with the commission off the delegators' part, restake,
 * the delegation switch, and every revert reason. Events must come from StakingInfo with BTTC's
 * signatures (the ABI is pinned in staking-info-abi.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testKey } from '../helpers/keys.ts';
import { E18, makeValidator } from './fixture.ts';
import { balance, checkpoint, deployStakingSet, fundStaker, shareOf, stakeValidator, view, ZERO_ADDRESS, type StakingSet } from './staking-fixture.ts';

const D = 2000n * E18;

async function delegated(set: StakingSet, id: bigint): Promise<bigint> {
  return view(set, 'StakeManager', set.stakeManager, 'delegatedAmount', [id]);
}

describe('ValidatorShare: creation and the delegation switch', () => {
  it('stakeFor(acceptDelegation) clones a ValidatorShare the StakeManager and StakingInfo name; without it there is none', async () => {
    const set = await deployStakingSet({ validators: 2 });
    const [a, b] = set.vals;
    const shareA = await shareOf(set, set.ids.get(a!)!);
    const shareB = await shareOf(set, set.ids.get(b!)!);
    assert.notEqual(shareA, ZERO_ADDRESS);
    assert.notEqual(shareA, shareB);
    assert.equal((await view<string>(set, 'StakingInfo', set.stakingInfo, 'getValidatorContractAddress', [set.ids.get(a!)!])).toLowerCase(), shareA);
    assert.equal(await view(set, 'ValidatorShare', shareA, 'validatorId'), set.ids.get(a!)!);
    assert.equal(await view(set, 'ValidatorShare', shareA, 'exchangeRate'), 100n, 'BTTC precision 100 for validators below 8');
    assert.equal(await view<boolean>(set, 'ValidatorShare', shareA, 'delegation'), true);
    assert.equal(await view<boolean>(set, 'StakeManager', set.stakeManager, 'isVotesWriter', [shareA]), true);
    // The clone cannot be initialized again, by anyone.
    assert.equal((await set.chain.send(set.gov, 'ValidatorShare', shareA, 'initialize', [9n])).revert, 'ValidatorShare: only the StakeManager');

    const solo = makeValidator('solo');
    assert.ok((await stakeValidator(set, solo, D, false)).ok);
    const soloId = set.ids.get(solo)!;
    assert.equal(await shareOf(set, soloId), ZERO_ADDRESS);
    assert.equal((await set.chain.send(solo.owner, 'StakeManager', set.stakeManager, 'updateValidatorDelegation', [true])).revert, 'StakeManager: validator was staked without delegation');
  });

  it('updateValidatorDelegation(false) stops new delegation (clear revert), true resumes it', async () => {
    const set = await deployStakingSet({ validators: 1 });
    const v = set.vals[0]!;
    const share = await shareOf(set, set.ids.get(v)!);
    const d = testKey('deleg-switch');
    await fundStaker(set, d, 10n * E18);
    assert.ok((await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'updateValidatorDelegation', [false])).ok);
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [E18, 0n])).revert, 'ValidatorShare: delegation is disabled for this validator');
    assert.equal((await set.chain.send(set.gov, 'ValidatorShare', share, 'updateDelegation', [true])).revert, 'ValidatorShare: only the StakeManager');
    assert.ok((await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'updateValidatorDelegation', [true])).ok);
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [E18, 0n])).ok);
  });

  it("only the validator's own ValidatorShare may call the delegation hooks", async () => {
    const set = await deployStakingSet({ validators: 2 });
    const [a, b] = set.vals;
    const shareB = await shareOf(set, set.ids.get(b!)!);
    const stranger = testKey('hook-stranger');
    await set.chain.fund(stranger.addressHex);
    const idA = set.ids.get(a!)!;
    for (const [fn, args] of [
      ['delegationDeposit', [idA, E18, stranger.addressHex]],
      ['transferFunds', [idA, E18, stranger.addressHex]],
      ['updateValidatorState', [idA, 1n]],
      ['withdrawDelegatorsReward', [idA]],
    ] as [string, unknown[]][]) {
      assert.equal((await set.chain.send(stranger, 'StakeManager', set.stakeManager, fn, args)).revert, "StakeManager: only the validator's delegation contract", fn);
    }
    assert.ok(shareB);
  });
});

describe('ValidatorShare: buy, sell, claim', () => {
  it('buyVoucher mints shares 1:1 at rate 100, adds to the validator stake, logs ShareMinted and StakeUpdate through StakingInfo', async () => {
    const set = await deployStakingSet({ validators: 2 });
    const v = set.vals[0]!;
    const id = set.ids.get(v)!;
    const share = await shareOf(set, id);
    const d = testKey('deleg-buy');
    await fundStaker(set, d, D);
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [0n, 0n])).revert, 'ValidatorShare: cannot buy with 0');
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [E18, E18 + 1n])).revert, 'ValidatorShare: too much slippage');
    const out = await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [D, D]);
    assert.ok(out.ok, out.revert);
    const minted = out.logs.find((l) => l.name === 'ShareMinted')!;
    assert.equal(minted.address, set.stakingInfo);
    assert.deepEqual([minted.args.validatorId, minted.args.user.toLowerCase(), minted.args.amount, minted.args.tokens], [id, d.addressHex, D, D]);
    const upd = out.logs.find((l) => l.name === 'StakeUpdate')!;
    assert.deepEqual([upd.address, upd.args.newAmount], [set.stakingInfo, 2n * D]);
    assert.equal(await delegated(set, id), D);
    assert.equal(await view(set, 'StakingInfo', set.stakingInfo, 'totalValidatorStake', [id]), 2n * D);
    const [staked, rate] = await set.chain.call('ValidatorShare', share, 'getTotalStake', [d.addressHex]);
    assert.deepEqual([staked, rate], [D, 100n]);
    assert.equal(await view(set, 'ValidatorShare', share, 'balanceOf', [d.addressHex]), D);
    assert.equal(await balance(set, d.addressHex), 0n);
    // Not enough tokens: the token's own reason surfaces.
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [E18, 0n])).revert, 'BTT: balance too low');
  });

  it('buying from a validator that is unstaking is refused', async () => {
    const set = await deployStakingSet({ validators: 2 });
    const v = set.vals[0]!;
    const share = await shareOf(set, set.ids.get(v)!);
    const d = testKey('deleg-late');
    await fundStaker(set, d, D);
    assert.ok((await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'unstake', [set.ids.get(v)!])).ok);
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [E18, 0n])).revert, 'ValidatorShare: validator is not active (not a validator, or unstaking)');
  });

  it('sellVoucher_new burns shares, starts unbonding; claim only after withdrawalDelay epochs, once', async () => {
    const set = await deployStakingSet({ validators: 2, params: { withdrawalDelay: 2n } });
    const v = set.vals[0]!;
    const id = set.ids.get(v)!;
    const share = await shareOf(set, id);
    const d = testKey('deleg-sell');
    await fundStaker(set, d, D);
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [D, 0n])).ok);
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'sellVoucher_new', [0n, 0n])).revert, 'ValidatorShare: cannot sell 0');
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'sellVoucher_new', [D + 1n, 2n * D])).revert, 'ValidatorShare: selling more than held');
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'sellVoucher_new', [D / 2n, D / 2n - 1n])).revert, 'ValidatorShare: too much slippage');
    const sell = await set.chain.send(d, 'ValidatorShare', share, 'sellVoucher_new', [D / 2n, D / 2n]);
    assert.ok(sell.ok, sell.revert);
    const burned = sell.logs.find((l) => l.name === 'ShareBurned')!;
    assert.equal(burned.address, set.stakingInfo);
    assert.deepEqual([burned.args.validatorId, burned.args.amount, burned.args.tokens], [id, D / 2n, D / 2n]);
    assert.equal(await delegated(set, id), D / 2n);
    assert.equal(await view(set, 'ValidatorShare', share, 'unbondNonces', [d.addressHex]), 1n);
    const epoch = await view(set, 'StakeManager', set.stakeManager, 'epoch');
    const unbond = await set.chain.call('ValidatorShare', share, 'unbonds_new', [d.addressHex, 1n]);
    assert.deepEqual([unbond[0], unbond[1]], [D / 2n, epoch]);

    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'unstakeClaimTokens_new', [1n])).revert, 'ValidatorShare: withdrawal delay not over');
    assert.ok((await checkpoint(set)).ok);
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'unstakeClaimTokens_new', [1n])).revert, 'ValidatorShare: withdrawal delay not over', 'one epoch of two');
    assert.ok((await checkpoint(set)).ok);
    const before = await balance(set, d.addressHex);
    const claim = await set.chain.send(d, 'ValidatorShare', share, 'unstakeClaimTokens_new', [1n]);
    assert.ok(claim.ok, claim.revert);
    const un = claim.logs.find((l) => l.name === 'DelegatorUnstaked')!;
    assert.deepEqual([un.address, un.args.validatorId, un.args.user.toLowerCase(), un.args.amount], [set.stakingInfo, id, d.addressHex, D / 2n]);
    // The sale paid the rewards earned so far; the claim pays exactly the unbonded stake.
    assert.equal((await balance(set, d.addressHex)) - before, D / 2n);
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'unstakeClaimTokens_new', [1n])).revert, 'ValidatorShare: no such unbond (wrong nonce or already claimed)');
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'unstakeClaimTokens_new', [7n])).revert, 'ValidatorShare: no such unbond (wrong nonce or already claimed)');
  });
});

describe('rewards by stake, commission, withdraw and restake', () => {
  it('a checkpoint pays by stake: proposer bonus first, the rest ∝ own + delegated; delegators get their part minus commission', async () => {
    const set = await deployStakingSet({ validators: 3 });
    const [a, b, c] = set.vals as [(typeof set.vals)[0] & object, (typeof set.vals)[0] & object, (typeof set.vals)[0] & object];
    const idA = set.ids.get(a)!;
    const share = await shareOf(set, idA);
    const d = testKey('deleg-reward');
    await fundStaker(set, d, D);
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [D, 0n])).ok);
    // 10% commission, logged through StakingInfo with BTTC's UpdateCommissionRate.
    assert.equal((await set.chain.send(a.owner, 'StakeManager', set.stakeManager, 'updateCommissionRate', [idA, 101n])).revert, 'StakeManager: commission rate above 100');
    assert.equal((await set.chain.send(b.owner, 'StakeManager', set.stakeManager, 'updateCommissionRate', [idA, 10n])).revert, "StakeManager: not the validator's owner");
    const rate = await set.chain.send(a.owner, 'StakeManager', set.stakeManager, 'updateCommissionRate', [idA, 10n]);
    assert.ok(rate.ok, rate.revert);
    const ev = rate.logs.find((l) => l.name === 'UpdateCommissionRate')!;
    assert.deepEqual([ev.address, ev.args.validatorId, ev.args.newCommissionRate, ev.args.oldCommissionRate], [set.stakingInfo, idA, 10n, 0n]);

    const out = await checkpoint(set, { proposer: b });
    assert.ok(out.ok, out.revert);
    // reward 1000, bonus 100 to b, 900 over 8000 staked: a (4000) 450 = own 225 + delegators 225 (−10% commission).
    const reward = async (v: typeof a) => view(set, 'StakeManager', set.stakeManager, 'validatorReward', [set.ids.get(v)!]);
    assert.equal(await reward(a), 225n * E18 + (225n * E18) / 10n);
    assert.equal(await reward(b), 100n * E18 + 225n * E18);
    assert.equal(await reward(c), 225n * E18);
    const liquid = (225n * E18 * 9n) / 10n;
    assert.equal(await view(set, 'ValidatorShare', share, 'getLiquidRewards', [d.addressHex]), liquid);
    assert.equal(await view(set, 'StakeManager', set.stakeManager, 'delegatorsReward', [idA]), liquid);

    const w = await set.chain.send(d, 'ValidatorShare', share, 'withdrawRewards');
    assert.ok(w.ok, w.revert);
    const claimed = w.logs.find((l) => l.name === 'DelegatorClaimedRewards')!;
    assert.deepEqual([claimed.address, claimed.args.validatorId, claimed.args.rewards], [set.stakingInfo, idA, liquid]);
    assert.equal(await balance(set, d.addressHex), liquid);
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'withdrawRewards')).revert, 'ValidatorShare: no rewards to withdraw');
    assert.equal((await set.chain.send(d, 'ValidatorShare', share, 'restake')).revert, 'ValidatorShare: no rewards to restake');

    // The cooldown: another change only after withdrawalDelay (4) epochs.
    assert.equal((await set.chain.send(a.owner, 'StakeManager', set.stakeManager, 'updateCommissionRate', [idA, 20n])).revert, 'StakeManager: commission rate changed too recently');
    for (let i = 0; i < 3; i++) assert.ok((await checkpoint(set)).ok);
    assert.ok((await set.chain.send(a.owner, 'StakeManager', set.stakeManager, 'updateCommissionRate', [idA, 20n])).ok);
  });

  it('validators that did not sign earn nothing from that checkpoint; the reward shrinks with the signed stake', async () => {
    const set = await deployStakingSet({ validators: 4 });
    const [a, b, c, e] = set.vals as NonNullable<(typeof set.vals)[0]>[];
    const idE = set.ids.get(e!)!;
    const share = await shareOf(set, idE);
    const d = testKey('deleg-unsigned');
    await fundStaker(set, d, D);
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [D, 0n])).ok);
    // Stakes a, b, c 2000 each, e 4000: total 10000; a, b, c sign (6000): reward 1000 × 6000 / 10000 = 600.
    const out = await checkpoint(set, { signers: [a!, b!, c!], proposer: a! });
    assert.ok(out.ok, out.revert);
    assert.equal(out.logs.find((l) => l.name === 'CheckpointRewarded')!.args.reward, 600n * E18);
    const reward = async (v: NonNullable<typeof a>) => view(set, 'StakeManager', set.stakeManager, 'validatorReward', [set.ids.get(v)!]);
    // 60 bonus; 540 over the 6000 signed stake: 180 each.
    assert.equal(await reward(a!), 60n * E18 + 180n * E18);
    assert.equal(await reward(b!), 180n * E18);
    assert.equal(await reward(e!), 0n);
    assert.equal(await view(set, 'ValidatorShare', share, 'getLiquidRewards', [d.addressHex]), 0n);
    // Next checkpoint all sign: e earns for its 4000 from then on only.
    assert.ok((await checkpoint(set, { proposer: a! })).ok);
    assert.equal(await reward(e!), (900n * E18 * 2000n) / 10000n);
    assert.equal(await view(set, 'ValidatorShare', share, 'getLiquidRewards', [d.addressHex]), (900n * E18 * 2000n) / 10000n);
  });

  it('restake turns rewards into shares and voting units; DelegatorRestaked carries the new total', async () => {
    const set = await deployStakingSet({ validators: 2 });
    const v = set.vals[0]!;
    const id = set.ids.get(v)!;
    const share = await shareOf(set, id);
    const d = testKey('deleg-restake');
    await fundStaker(set, d, D);
    assert.ok((await set.chain.send(d, 'ValidatorShare', share, 'buyVoucher', [D, 0n])).ok);
    assert.ok((await checkpoint(set, { proposer: set.vals[1]! })).ok);
    // 900 over 6000: validator 0 earns 600 for 4000; delegators 300.
    const liquid = 300n * E18;
    assert.equal(await view(set, 'ValidatorShare', share, 'getLiquidRewards', [d.addressHex]), liquid);
    const out = await set.chain.send(d, 'ValidatorShare', share, 'restake');
    assert.ok(out.ok, out.revert);
    const ev = out.logs.find((l) => l.name === 'DelegatorRestaked')!;
    assert.deepEqual([ev.address, ev.args.validatorId, ev.args.totalStaked], [set.stakingInfo, id, D + liquid]);
    assert.equal(await delegated(set, id), D + liquid);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'votingUnits', [d.addressHex]), D + liquid);
    const moved = out.logs.filter((l) => l.name === 'VotesMoved');
    assert.equal(moved.length, 1);
    assert.deepEqual([moved[0]!.args.account.toLowerCase(), moved[0]!.args.fromDelegatee, moved[0]!.args.amount], [d.addressHex, ZERO_ADDRESS, liquid]);
  });
});
