/**
 * StakingInfo as the StakeManager's logger: only the StakeManager (or, for delegator events, the
 * validator's delegation contract the StakeManager names) may log; nonces number Staked, UnstakeInit
 * and SignerChange per validator and StakeUpdate takes none; parameter changes are logged there too;
 * the views Delivery reads report the StakeManager's records.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testKey } from '../helpers/keys.ts';
import { deployRootSet, makeValidator, stake, E18, ZERO32, type RootSet } from './fixture.ts';

const ZERO_ADDRESS = '0x' + '00'.repeat(20);

async function idOf(set: RootSet, signer: string): Promise<bigint> {
  return (await set.chain.call('StakeManager', set.stakeManager, 'signerToValidator', [signer]))[0] as bigint;
}

describe('StakingInfo', () => {
  it('is created by the StakeManager and answers to it alone', async () => {
    const set = await deployRootSet();
    assert.equal(((await set.chain.call('StakingInfo', set.stakingInfo, 'stakeManager'))[0] as string).toLowerCase(), set.stakeManager.toLowerCase());
    const a = makeValidator('a');
    assert.ok((await stake(set, a)).ok);
    const stranger = testKey('stranger');
    await set.chain.fund(stranger.addressHex);
    const onlySm = 'StakingInfo: only the StakeManager';
    const calls: [string, unknown[]][] = [
      ['logStaked', [a.signerAddress, a.pubkey, 1n, 1n, E18, E18]],
      ['logUnstaked', [stranger.addressHex, 1n, E18, E18]],
      ['logUnstakeInit', [stranger.addressHex, 1n, 2n, E18]],
      ['logSignerChange', [1n, a.signerAddress, stranger.addressHex, a.pubkey]],
      ['logRestaked', [1n, E18, E18]],
      ['logJailed', [1n, 2n, a.signerAddress]],
      ['logUnjailed', [1n, a.signerAddress]],
      ['logSlashed', [1n, E18]],
      ['logClaimRewards', [1n, E18, E18]],
      ['logStartAuction', [1n, E18, E18]],
      ['logConfirmAuction', [2n, 1n, E18]],
      ['logThresholdChange', [1n, 2n]],
      ['logDynastyValueChange', [1n, 2n]],
      ['logProposerBonusChange', [1n, 2n]],
      ['logRewardUpdate', [1n, 2n]],
      ['logChainRewardUpdate', [2n, 1n, 2n]],
      ['logTopUpFee', [stranger.addressHex, E18]],
      ['logClaimFee', [stranger.addressHex, E18]],
      ['logCheckpointAck', [stranger.addressHex, 2n, 1n, 0n, 255n]],
    ];
    for (const [fn, args] of calls) assert.equal((await set.chain.send(stranger, 'StakingInfo', set.stakingInfo, fn, args)).revert, onlySm, fn);
    for (const [fn, args] of [
      ['logStakeUpdate', [1n]],
      ['logUpdateCommissionRate', [1n, 10n, 0n]],
    ] as [string, unknown[]][])
      assert.equal((await set.chain.send(stranger, 'StakingInfo', set.stakingInfo, fn, args)).revert, "StakingInfo: only the StakeManager or the validator's delegation contract", fn);
    // Delegator events: only the delegation contract the StakeManager names, and this StakeManager names none.
    assert.equal(((await set.chain.call('StakingInfo', set.stakingInfo, 'getValidatorContractAddress', [1n]))[0] as string).toLowerCase(), ZERO_ADDRESS);
    const onlyDelegation = "StakingInfo: only the validator's delegation contract";
    for (const [fn, args] of [
      ['logShareMinted', [1n, stranger.addressHex, E18, E18]],
      ['logShareBurned', [1n, stranger.addressHex, E18, E18]],
      ['logDelegatorClaimRewards', [1n, stranger.addressHex, E18]],
      ['logDelegatorRestaked', [1n, stranger.addressHex, E18]],
      ['logDelegatorUnstaked', [1n, stranger.addressHex, E18]],
    ] as [string, unknown[]][]) {
      assert.equal((await set.chain.send(stranger, 'StakingInfo', set.stakingInfo, fn, args)).revert, onlyDelegation, fn);
    }
  });

  it('nonces: Staked 1, SignerChange and UnstakeInit the next ones; StakeUpdate takes none and carries the new stake', async () => {
    const set = await deployRootSet({ params: { signerUpdateLimit: 0n } });
    const a = makeValidator('a');
    assert.ok((await stake(set, a)).ok);
    const id = await idOf(set, a.signerAddress);
    assert.equal((await set.chain.call('StakingInfo', set.stakingInfo, 'validatorNonce', [id]))[0], 1n);

    const more = 500n * E18;
    await set.chain.must(set.gov, 'BttToken', set.token, 'mint', [a.owner.addressHex, more]);
    await set.chain.must(a.owner, 'BttToken', set.token, 'approve', [set.stakeManager, more]);
    const re = await set.chain.send(a.owner, 'StakeManager', set.stakeManager, 'restake', [id, more, false]);
    assert.ok(re.ok, re.revert);
    const upd = re.logs.find((l) => l.name === 'StakeUpdate')!;
    assert.equal(upd.address, set.stakingInfo);
    assert.deepEqual([upd.args.validatorId, upd.args.newAmount], [id, 2000n * E18 + more]);
    const restaked = re.logs.find((l) => l.name === 'Restaked')!;
    assert.deepEqual([restaked.args.validatorId, restaked.args.amount], [id, 2000n * E18 + more]);
    assert.equal((await set.chain.call('StakingInfo', set.stakingInfo, 'validatorNonce', [id]))[0], 1n, 'a stake update uses no nonce');
    assert.equal((await set.chain.call('StakingInfo', set.stakingInfo, 'totalValidatorStake', [id]))[0], 2000n * E18 + more);

    const fresh = makeValidator('fresh');
    const sc = await set.chain.send(a.owner, 'StakeManager', set.stakeManager, 'updateSigner', [id, fresh.pubkey]);
    assert.ok(sc.ok, sc.revert);
    const change = sc.logs.find((l) => l.name === 'SignerChange')!;
    assert.equal(change.address, set.stakingInfo);
    assert.equal(change.args.nonce, 2n);
    assert.equal(change.args.newSigner.toLowerCase(), fresh.signerAddress);

    const un = await set.chain.send(a.owner, 'StakeManager', set.stakeManager, 'unstake', [id]);
    const init = un.logs.find((l) => l.name === 'UnstakeInit')!;
    assert.equal(init.address, set.stakingInfo);
    assert.equal(init.args.nonce, 3n);
    // The StakeManager still answers validatorNonce (BTTC's tools ask it), from the logger.
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'validatorNonce', [id]))[0], 3n);

    // Every log of these staking calls came from StakingInfo (or the token, for restake's transfer,
    // or StakeVotes, for the voting power that follows the stake).
    const votes = ((await set.chain.call('StakeManager', set.stakeManager, 'stakeVotes'))[0] as string).toLowerCase();
    for (const out of [re, sc, un])
      assert.ok(
        out.logAddresses.every((x) => x === set.stakingInfo || x === set.token.toLowerCase() || x === votes),
        out.logAddresses.join(','),
      );
  });

  it("parameter changes are logged by StakingInfo; updateNonce is governance's", async () => {
    const set = await deployRootSet();
    const cases: [string, bigint, string, bigint][] = [
      ['updateValidatorThreshold', 20n, 'ThresholdChange', 10n],
      ['updateDynastyValue', 8n, 'DynastyValueChange', 4n],
      ['updateProposerBonus', 20n, 'ProposerBonusChange', 10n],
      ['updateCheckpointReward', 7n * E18, 'RewardUpdate', 1000n * E18],
    ];
    for (const [fn, value, event, old] of cases) {
      const out = await set.chain.must(set.gov, 'StakeManager', set.stakeManager, fn, [value]);
      assert.equal(out.logs.length, 1, fn);
      const ev = out.logs[0]!;
      assert.equal(ev.name, event);
      assert.equal(ev.address, set.stakingInfo);
      assert.deepEqual([ev.args[0], ev.args[1]], [value, old], event);
    }
    const stranger = testKey('stranger');
    await set.chain.fund(stranger.addressHex);
    assert.equal((await set.chain.send(stranger, 'StakingInfo', set.stakingInfo, 'updateNonce', [[1n], [5n]])).revert, 'StakingInfo: only governance');
    assert.equal((await set.chain.send(set.gov, 'StakingInfo', set.stakingInfo, 'updateNonce', [[1n, 2n], [5n]])).revert, 'StakingInfo: length mismatch');
    await set.chain.must(set.gov, 'StakingInfo', set.stakingInfo, 'updateNonce', [
      [1n, 2n],
      [5n, 9n],
    ]);
    assert.equal((await set.chain.call('StakingInfo', set.stakingInfo, 'validatorNonce', [2n]))[0], 9n);
  });

  it("getStakerDetails and getAccountStateRoot report the StakeManager's records", async () => {
    const set = await deployRootSet();
    const a = makeValidator('a');
    assert.ok((await stake(set, a)).ok);
    const d = await set.chain.call('StakingInfo', set.stakingInfo, 'getStakerDetails', [1n]);
    assert.deepEqual([d[0], d[1], d[2], d[3], (d[4] as string).toLowerCase(), d[5]], [2000n * E18, 0n, 1n, 0n, a.signerAddress, 1n]);
    assert.equal((await set.chain.call('StakingInfo', set.stakingInfo, 'getAccountStateRoot'))[0], ZERO32);
  });
});
