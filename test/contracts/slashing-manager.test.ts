/**
 * SlashingManager + the StakeManager's slash path (issue 19): checkpoint signature rules (one
 * signature short refused), replay refused (nonce and evidence hash), the delegator share per
 * offense, jail/unjail with BTTC's Jailed/UnJailed/Slashed events from StakingInfo, and the voting
 * power checkpoints dropping (VotesMoved to 0x0).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testKey } from '../helpers/keys.ts';
import { E18, signSorted, sortBySigner } from './fixture.ts';
import { balance, checkpoint, deployStakingSet, fundStaker, shareOf, view, ZERO_ADDRESS, type StakingSet } from './staking-fixture.ts';
import { DEFAULT_PENALTIES, amountsFor } from '../../src/slashing/penalty.ts';
import { encodeSlashBatch, type FinalSlash } from '../../src/slashing/batch.ts';
import { auditSlash } from '../../src/slashing/audit.ts';
import { evidenceHash, type Evidence } from '../../src/slashing/evidence.ts';
import { encodeVote, voteDigest } from '../../src/delivery/consensus/codec.ts';
import type { Vote } from '../../src/delivery/consensus/types.ts';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';

const D = 2000n * E18;
const H = (n: number): string => '0x' + n.toString(16).padStart(64, '0');

async function withManager(validators = 4, params: Parameters<typeof deployStakingSet>[0] = {}): Promise<StakingSet & { sm: string }> {
  const set = await deployStakingSet({ validators, ...params });
  const sm = await set.chain.deploy('SlashingManager', set.gov, [set.stakeManager]);
  await set.chain.must(set.gov, 'StakeManager', set.stakeManager, 'setSlashingManager', [sm]);
  return { ...set, sm };
}

async function submit(set: StakingSet & { sm: string }, nonce: bigint, slashes: FinalSlash[], signers = set.vals) {
  const data = encodeSlashBatch(nonce, set.vals[0]!.signerAddress, slashes);
  return set.chain.send(set.gov, 'SlashingManager', set.sm, 'updateSlashedAmounts', [data, signSorted(data, sortBySigner(signers))]);
}

function rule(offense: keyof typeof DEFAULT_PENALTIES, id: bigint, ev: number): FinalSlash {
  const r = DEFAULT_PENALTIES[offense];
  return { validatorId: id, selfBps: r.selfBps, delegatorBps: r.delegatorBps, jailEpochs: r.jailEpochs, evidenceHash: H(ev) };
}

describe('SlashingManager.updateSlashedAmounts', () => {
  it('refuses one signature short of 2/3+1, then accepts 2/3+1', async () => {
    const set = await withManager(4); // 2/3+1 of 4 = 3
    const target = set.ids.get(set.vals[0]!)!;
    const short = await submit(set, 1n, [rule('downtime', target, 1)], set.vals.slice(0, 2));
    assert.equal(short.revert, '2/3+1 non-majority!');
    const ok = await submit(set, 1n, [rule('downtime', target, 1)], set.vals.slice(0, 3));
    assert.ok(ok.ok, ok.revert);
    assert.equal(await view(set, 'SlashingManager', set.sm, 'slashingNonce'), 1n);
  });

  it('refuses a replayed batch (nonce) and a replayed evidence hash in a new batch; only the SlashingManager may slash', async () => {
    const set = await withManager(3);
    const id = set.ids.get(set.vals[1]!)!;
    assert.ok((await submit(set, 1n, [rule('downtime', id, 7)])).ok);
    assert.equal((await submit(set, 1n, [rule('downtime', id, 7)])).revert, 'SlashingManager: invalid slashing nonce');
    assert.equal((await submit(set, 2n, [rule('downtime', id, 7)])).revert, 'SlashingManager: evidence already applied');
    assert.equal((await submit(set, 3n, [rule('downtime', id, 8)])).revert, 'SlashingManager: invalid slashing nonce');
    assert.equal((await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'slash', [id, 100n, 0n, 1n])).revert, 'StakeManager: only the SlashingManager');
    assert.equal((await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'setSlashingManager', [set.gov.addressHex])).revert, 'StakeManager: slashing manager already set');
  });

  for (const offense of ['double-sign', 'downtime', 'checkpoint-equivocation'] as const) {
    it(`${offense}: own stake cut by ${DEFAULT_PENALTIES[offense].selfBps} bps, delegators by ${DEFAULT_PENALTIES[offense].delegatorBps} bps; voting power drops; Slashed/Jailed via StakingInfo`, async () => {
      const set = await withManager(4);
      const v = set.vals[0]!;
      const id = set.ids.get(v)!;
      const share = await shareOf(set, id);
      assert.notEqual(share, ZERO_ADDRESS);
      const d1 = testKey('slash-delegator-1');
      const d2 = testKey('slash-delegator-2');
      for (const [d, amt] of [
        [d1, 300n * E18],
        [d2, 700n * E18],
      ] as const) {
        await fundStaker(set, d, amt);
        await set.chain.must(d, 'ValidatorShare', share, 'buyVoucher', [amt, 0n]);
      }
      const expected = amountsFor(DEFAULT_PENALTIES[offense], { partners: { [v.owner.addressHex]: D }, delegators: { [d1.addressHex]: 300n * E18, [d2.addressHex]: 700n * E18 } });
      const votesBefore = await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [v.owner.addressHex]);
      const d1Before = await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [d1.addressHex]);
      const totalBefore = await view(set, 'StakeManager', set.stakeManager, 'totalStaked');
      const out = await submit(set, 1n, [rule(offense, id, 42)]);
      assert.ok(out.ok, out.revert);
      const blockOfSlash = set.chain.number - 1n;

      assert.equal(await view(set, 'StakeManager', set.stakeManager, 'validatorStake', [id]), D - expected.self);
      assert.equal(await view(set, 'StakeManager', set.stakeManager, 'delegatedAmount', [id]), 1000n * E18 - expected.delegators);
      assert.equal(await view(set, 'StakeManager', set.stakeManager, 'totalStaked'), totalBefore - expected.self - expected.delegators);
      assert.equal(await view(set, 'StakeManager', set.stakeManager, 'totalSlashed'), expected.self + expected.delegators);
      const [d1Stake] = (await set.chain.call('ValidatorShare', share, 'getTotalStake', [d1.addressHex])) as unknown as [bigint];
      assert.ok(300n * E18 - d1Stake - expected.perStaker[d1.addressHex]! <= 1n, 'delegator loss as documented (±1 wei rounding)');
      if (DEFAULT_PENALTIES[offense].delegatorBps === 0) {
        assert.equal(d1Stake, 300n * E18, 'delegators keep their stake for this offense');
        assert.equal(await view(set, 'ValidatorShare', share, 'exchangeRate'), 100n);
      } else assert.ok((await view(set, 'ValidatorShare', share, 'exchangeRate')) < 100n, 'exchange rate dropped');

      // Voting power: the current votes and the checkpoints at the slash block drop by the cut.
      assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [v.owner.addressHex]), votesBefore - expected.self);
      assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [d1.addressHex]), d1Before - (d1Before - d1Stake));
      assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getPastVotes', [v.owner.addressHex, blockOfSlash - 1n]), votesBefore);
      const moved = out.logs.filter((l) => l.name === 'VotesMoved');
      assert.ok(moved.some((l) => (l.args[0] as string).toLowerCase() === v.owner.addressHex && l.args[2] === ZERO_ADDRESS && l.args[3] === expected.self));

      const info = out.logs.filter((l) => l.address.toLowerCase() === set.stakingInfo);
      const slashed = info.find((l) => l.name === 'Slashed');
      assert.deepEqual([slashed?.args[0], slashed?.args[1]], [1n, expected.self + expected.delegators]);
      const jailed = info.find((l) => l.name === 'Jailed');
      assert.deepEqual([jailed?.args[0], jailed?.args[1], String(jailed?.args[2]).toLowerCase()], [id, 1n + BigInt(DEFAULT_PENALTIES[offense].jailEpochs), v.signerAddress]);
      const applied = out.logs.find((l) => l.name === 'SlashApplied');
      assert.equal(applied?.args[2], H(42));
    });
  }

  // BTTC's ValidatorShare.slash cuts the withdraw pool pro rata with the active pool: a delegator
  // who sold after the offense (still unbonding at the slash) pays the same share as one who stayed.
  for (const offense of ['double-sign', 'downtime'] as const) {
    const bps = BigInt(DEFAULT_PENALTIES[offense].delegatorBps);
    it(`${offense}: a delegator unbonding at slash time claims ${bps} bps less; one who stayed loses the same share`, async () => {
      const set = await withManager(4, { params: { withdrawalDelay: 1n } });
      const v = set.vals[0]!;
      const id = set.ids.get(v)!;
      const share = await shareOf(set, id);
      const seller = testKey('slash-unbonding-seller');
      const stayer = testKey('slash-unbonding-stayer');
      const A = 400n * E18;
      const B = 600n * E18;
      for (const [d, amt] of [
        [seller, A],
        [stayer, B],
      ] as const) {
        await fundStaker(set, d, amt);
        await set.chain.must(d, 'ValidatorShare', share, 'buyVoucher', [amt, 0n]);
      }
      // Sold after the offense, before the slash: all of it is unbonding.
      await set.chain.must(seller, 'ValidatorShare', share, 'sellVoucher_new', [A, 2n * A]);
      const totalBefore = await view(set, 'StakeManager', set.stakeManager, 'totalStaked');
      const out = await submit(set, 1n, [rule(offense, id, 77)]);
      assert.ok(out.ok, out.revert);
      const activeCut = (B * bps) / 10000n;
      const poolCut = (A * bps) / 10000n;
      const applied = out.logs.find((l) => l.name === 'SlashApplied');
      assert.equal(applied?.args[4], activeCut + poolCut, 'SlashApplied.delegatorAmount counts the unbonding cut');
      assert.equal(await view(set, 'ValidatorShare', share, 'withdrawPool'), A - poolCut);
      assert.equal(await view(set, 'ValidatorShare', share, 'withdrawExchangeRate'), 100n - (100n * bps) / 10000n, 'withdraw rate drops like the share rate');
      // The unbonding stake never counted in totalStaked: only the active cut leaves it.
      const selfCut = (D * BigInt(DEFAULT_PENALTIES[offense].selfBps)) / 10000n;
      assert.equal(await view(set, 'StakeManager', set.stakeManager, 'totalStaked'), totalBefore - selfCut - activeCut);
      assert.equal(await view(set, 'StakeManager', set.stakeManager, 'totalSlashed'), selfCut + activeCut + poolCut);

      const others = set.vals.filter((x) => x !== v);
      assert.ok((await checkpoint(set, { signers: others })).ok);
      const before = await balance(set, seller.addressHex);
      const claim = await set.chain.send(seller, 'ValidatorShare', share, 'unstakeClaimTokens_new', [1n]);
      assert.ok(claim.ok, claim.revert);
      const claimed = (await balance(set, seller.addressHex)) - before;
      assert.equal(claimed, A - (A * bps) / 10000n, `the unbonding delegator claims exactly ${bps} bps less`);
      const [stayed] = (await set.chain.call('ValidatorShare', share, 'getTotalStake', [stayer.addressHex])) as unknown as [bigint];
      assert.ok(B - stayed - (B * bps) / 10000n <= 1n, 'the delegator who stayed loses the same share (±1 wei)');
      if (bps === 0n) assert.equal(claimed, A, 'downtime never touches unbonding stake');
      assert.equal(await view(set, 'ValidatorShare', share, 'withdrawPool'), 0n, 'the pool pays out exactly what is left');
    });
  }

  it('jail: the validator leaves the signing set (stakerCount drops) until its owner unjails after the jail ends', async () => {
    const set = await withManager(4);
    const v = set.vals[3]!;
    const id = set.ids.get(v)!;
    assert.ok((await submit(set, 1n, [{ ...rule('downtime', id, 5), jailEpochs: 2 }])).ok);
    assert.equal(await view(set, 'StakeManager', set.stakeManager, 'currentValidatorSetSize'), 3n);
    assert.equal(await view<boolean>(set, 'StakeManager', set.stakeManager, 'isValidator', [id]), false);
    assert.equal((await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'unjail', [id])).revert, 'StakeManager: jail not over');
    assert.equal((await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'unjail', [id])).revert, "StakeManager: not the validator's owner");
    const others = set.vals.filter((x) => x !== v);
    for (let i = 0; i < 2; i++) assert.ok((await checkpoint(set, { signers: others })).ok);
    const un = await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'unjail', [id]);
    assert.ok(un.ok, un.revert);
    const ev = un.logs.find((l) => l.name === 'UnJailed');
    assert.deepEqual([ev?.args[0], String(ev?.args[1]).toLowerCase()], [id, v.signerAddress]);
    assert.equal(await view(set, 'StakeManager', set.stakeManager, 'currentValidatorSetSize'), 4n);
    assert.equal(await view<boolean>(set, 'StakeManager', set.stakeManager, 'isValidator', [id]), true);
    assert.equal((await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'unjail', [id])).revert, 'StakeManager: validator is not jailed');
  });

  it('a partnership validator: partners lose own stake pro rata (shares and votes)', async () => {
    const set = await withManager(3);
    const v = set.vals[0]!;
    const id = set.ids.get(v)!;
    await set.chain.must(v.owner, 'StakeManager', set.stakeManager, 'createPartnership', [id]);
    const p = ((await set.chain.call('StakeManager', set.stakeManager, 'partnershipOf', [id]))[0] as string).toLowerCase();
    set.chain.at('ValidatorPartnership', p);
    const partner = testKey('slash-partner');
    await fundStaker(set, partner, 1000n * E18, p);
    await set.chain.must(partner, 'ValidatorPartnership', p, 'join', [1000n * E18]);
    const expected = amountsFor(DEFAULT_PENALTIES['double-seal'], { partners: { [v.owner.addressHex]: D, [partner.addressHex]: 1000n * E18 }, delegators: {} });
    assert.ok((await submit(set, 1n, [rule('double-seal', id, 9)])).ok);
    assert.equal(await view(set, 'ValidatorPartnership', p, 'shares', [partner.addressHex]), 1000n * E18 - expected.perStaker[partner.addressHex]!);
    assert.equal(await view(set, 'ValidatorPartnership', p, 'shares', [v.owner.addressHex]), D - expected.perStaker[v.owner.addressHex]!);
    assert.equal(await view(set, 'StakeManager', set.stakeManager, 'validatorStake', [id]), 3000n * E18 - expected.self);
    assert.equal(await view(set, 'StakeVotes', set.stakeVotes, 'getVotes', [partner.addressHex]), 1000n * E18 - expected.perStaker[partner.addressHex]!);
  });
  // Issue 19: "primary penalties fall on the operator's own stake (and partners pro rata)". A partner
  // who starts leaving after the offense (PartnerLeaveInit, not yet PartnerLeft) is cut at the own
  // bps, as an unbonding delegator is at the delegator bps; `audit slash` (given the unbonding and
  // leaving stakes) states exactly what the contracts cut.
  it('double sign on a partnership: a leaving partner and an unbonding delegator pay too; audit slash agrees with the contract', async () => {
    const set = await withManager(4, { params: { withdrawalDelay: 1n } });
    const v = set.vals[0]!;
    const id = set.ids.get(v)!;
    await set.chain.must(v.owner, 'StakeManager', set.stakeManager, 'createPartnership', [id]);
    const p = ((await set.chain.call('StakeManager', set.stakeManager, 'partnershipOf', [id]))[0] as string).toLowerCase();
    set.chain.at('ValidatorPartnership', p);
    const share = await shareOf(set, id);
    const [stays, leaves, stayer, seller] = ['slash-p-stays', 'slash-p-leaves', 'slash-d-stays', 'slash-d-sells'].map((l) => testKey(l)) as [
      ReturnType<typeof testKey>,
      ReturnType<typeof testKey>,
      ReturnType<typeof testKey>,
      ReturnType<typeof testKey>,
    ];
    const [P1, P2, A, B] = [1000n * E18, 1500n * E18, 400n * E18, 600n * E18];
    for (const [k, amt] of [
      [stays, P1],
      [leaves, P2],
    ] as const) {
      await fundStaker(set, k, amt, p);
      await set.chain.must(k, 'ValidatorPartnership', p, 'join', [amt]);
    }
    for (const [d, amt] of [
      [stayer, B],
      [seller, A],
    ] as const) {
      await fundStaker(set, d, amt);
      await set.chain.must(d, 'ValidatorShare', share, 'buyVoucher', [amt, 0n]);
    }
    // The offense: two conflicting precommits by the validator's signer.
    const chainId = 'delivery-slash-partners';
    const vote = (value: number): string => {
      const x: Vote = { type: 3, height: 40, round: 0, valueId: new Uint8Array(32).fill(value), validator: hexToBytes(v.signerAddress), extension: new Uint8Array(0), signature: new Uint8Array(65) };
      x.signature = signRsv(voteDigest(chainId, x), v.signer.secret);
      return bytesToHex(encodeVote(x));
    };
    const ev: Evidence = { v: 1, offense: 'double-sign', chainId, voteA: vote(1), voteB: vote(2) };
    // After the offense, before the slash: one partner leaves, one delegator sells everything.
    assert.ok((await set.chain.send(leaves, 'ValidatorPartnership', p, 'leave')).ok);
    await set.chain.must(seller, 'ValidatorShare', share, 'sellVoucher_new', [A, 2n * A]);

    const audit = auditSlash(
      ev,
      { enabled: true, penalties: DEFAULT_PENALTIES, downtime: { window: 0, maxMissed: 0 }, challengeWindow: 0, unbondingHeights: 1000 },
      {
        chainId,
        height: 50,
        validators: [
          {
            signer: v.signerAddress,
            id: Number(id),
            partners: { [v.owner.addressHex]: String(D), [stays.addressHex]: String(P1) },
            leaving: { [leaves.addressHex]: String(P2) },
            delegators: { [stayer.addressHex]: String(B) },
            unbonding: { [seller.addressHex]: String(A) },
          },
        ],
      },
      () => {
        throw new Error('no headers in double-sign evidence');
      },
    );
    assert.equal(audit.decision, 'slash', audit.reason ?? '');
    const amounts = audit.amounts!;
    const loss = (k: { addressHex: string }): bigint => BigInt(amounts.perStaker[k.addressHex] ?? -1);
    const tokensBefore = await balance(set, set.stakeManager);
    const partnershipBefore = await balance(set, p);
    const out = await submit(set, 1n, [{ ...rule('double-sign', id, 0), evidenceHash: evidenceHash(ev) }]);
    assert.ok(out.ok, out.revert);
    const applied = out.logs.find((l) => l.name === 'SlashApplied');
    assert.deepEqual([applied?.args[3], applied?.args[4]], [BigInt(amounts.self), BigInt(amounts.delegators)], 'SlashApplied = audit self / delegators');
    assert.ok(loss(leaves) > 0n && loss(seller) > 0n);
    assert.equal(await view(set, 'StakeManager', set.stakeManager, 'totalSlashed'), BigInt(amounts.self) + BigInt(amounts.delegators));
    // Bonded partners: shares; the leaving partner: its pending leave, whose tokens go back to the StakeManager.
    assert.equal(await view(set, 'ValidatorPartnership', p, 'shares', [v.owner.addressHex]), D - loss(v.owner));
    assert.equal(await view(set, 'ValidatorPartnership', p, 'shares', [stays.addressHex]), P1 - loss(stays));
    const [pending] = (await set.chain.call('ValidatorPartnership', p, 'leaves', [leaves.addressHex])) as unknown as [bigint];
    assert.equal(pending, P2 - loss(leaves), 'the pending leave is cut at the own-stake bps');
    assert.equal(partnershipBefore - (await balance(set, p)), loss(leaves));
    assert.equal((await balance(set, set.stakeManager)) - tokensBefore, loss(leaves), 'cut tokens stay locked in the StakeManager');

    const others = set.vals.filter((x) => x !== v);
    assert.ok((await checkpoint(set, { signers: others })).ok);
    for (const [k, call, args, amount] of [
      [leaves, 'claimLeave', [], P2],
      [seller, 'unstakeClaimTokens_new', [1n], A],
    ] as const) {
      const before = await balance(set, k.addressHex);
      const c = await set.chain.send(k, k === leaves ? 'ValidatorPartnership' : 'ValidatorShare', k === leaves ? p : share, call, [...args]);
      assert.ok(c.ok, c.revert);
      assert.equal((await balance(set, k.addressHex)) - before, amount - loss(k), `${call} pays what audit slash says is left`);
    }
    const [stayed] = (await set.chain.call('ValidatorShare', share, 'getTotalStake', [stayer.addressHex])) as unknown as [bigint];
    assert.ok(B - stayed - loss(stayer) <= 1n, 'the bonded delegator (±1 wei rounding)');
  });
  it('downtime cuts a pending leave by the own bps; a leave already claimed escapes', async () => {
    const set = await withManager(4, { params: { withdrawalDelay: 1n } });
    const v = set.vals[0]!;
    const id = set.ids.get(v)!;
    await set.chain.must(v.owner, 'StakeManager', set.stakeManager, 'createPartnership', [id]);
    const p = ((await set.chain.call('StakeManager', set.stakeManager, 'partnershipOf', [id]))[0] as string).toLowerCase();
    set.chain.at('ValidatorPartnership', p);
    const [gone, pending] = [testKey('slash-leave-claimed'), testKey('slash-leave-pending')];
    for (const k of [gone, pending]) {
      await fundStaker(set, k, 700n * E18, p);
      await set.chain.must(k, 'ValidatorPartnership', p, 'join', [700n * E18]);
    }
    await set.chain.must(gone, 'ValidatorPartnership', p, 'leave');
    assert.ok((await checkpoint(set)).ok);
    await set.chain.must(gone, 'ValidatorPartnership', p, 'claimLeave');
    await set.chain.must(pending, 'ValidatorPartnership', p, 'leave');
    const bps = BigInt(DEFAULT_PENALTIES.downtime.selfBps);
    const partnershipBefore = await balance(set, p);
    const out = await submit(set, 1n, [rule('downtime', id, 3)]);
    assert.ok(out.ok, out.revert);
    const leaveCut = (700n * E18 * bps) / 10000n;
    const [left] = (await set.chain.call('ValidatorPartnership', p, 'leaves', [pending.addressHex])) as unknown as [bigint];
    assert.equal(left, 700n * E18 - leaveCut);
    const [claimed] = (await set.chain.call('ValidatorPartnership', p, 'leaves', [gone.addressHex])) as unknown as [bigint];
    assert.equal(claimed, 700n * E18, 'a claimed leave is not touched');
    assert.equal(partnershipBefore - (await balance(set, p)), leaveCut);
    const applied = out.logs.find((l) => l.name === 'SlashApplied');
    assert.deepEqual([applied?.args[3], applied?.args[4]], [(D * bps) / 10000n + leaveCut, 0n]);
  });
});
