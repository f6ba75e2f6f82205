/**
 * Stake accounting as a property: random buys and sells by a few delegators of one validator, each
 * logged as its two events (StakeUpdate and the share event, in either order: ours logs StakeUpdate
 * first, BTTC after), applied (a) in log order and (b) in a random order with every `early` event
 * retried later. Either way the records end equal to a plain model: delegated stake = Σ bought −
 * sold, own stake unchanged, each delegator's shares, stake and unbonding; and in log order they
 * equal the model after every call. The codec round-trips every kind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Reader, Writer } from '../../src/delivery/app/binary.ts';
import { applyStakeTx, joinStakeRecord } from '../../src/delivery/modules/staking/stake-apply.ts';
import { selfStakeOf, type DelegationRecord, type StakeView, type ValidatorStakeRecord } from '../../src/delivery/modules/staking/stake-store.ts';
import { STAKE_TX, StakeKind, stakeTxCodec, type StakeTx } from '../../src/delivery/modules/staking/stake-txs.ts';

const SELF = 10n ** 21n;
const ZERO = '0x' + '00'.repeat(20);
const USERS = ['0x' + 'a1'.repeat(20), '0x' + 'b2'.repeat(20), '0x' + 'c3'.repeat(20)];

/** The records in memory, as a block's view sees them. */
function memoryView(): StakeView & { v: Map<number, ValidatorStakeRecord>; d: Map<string, DelegationRecord> } {
  const v = new Map<number, ValidatorStakeRecord>();
  const d = new Map<string, DelegationRecord>();
  return {
    v,
    d,
    validator: async (id) => (v.has(id) ? structuredClone(v.get(id)!) : null),
    delegation: async (u, id) => (d.has(`${u}/${id}`) ? { ...d.get(`${u}/${id}`)! } : null),
    putValidator: (r) => void v.set(r.validatorId, structuredClone(r)),
    putDelegation: (r) => void d.set(`${r.delegator}/${r.validatorId}`, { ...r }),
  };
}

interface Op {
  user: number;
  buy: boolean;
  /** Fraction of the stake to sell (per mille), or the amount to buy. */
  n: number;
  stakeUpdateFirst: boolean;
}

const opArb = fc.record({ user: fc.nat({ max: USERS.length - 1 }), buy: fc.boolean(), n: fc.integer({ min: 1, max: 1000 }), stakeUpdateFirst: fc.boolean() });

/** The events of `ops` (sells of nothing skipped) and the model after each op. */
function eventsOf(ops: Op[]) {
  const stake = USERS.map(() => 0n);
  const unbonding = USERS.map(() => 0n);
  let seq = 1000n;
  const calls: StakeTx[][] = [];
  const models: { delegated: bigint; stake: bigint[]; unbonding: bigint[] }[] = [];
  const tx = (kind: StakeKind, account: string, amount: bigint, aux = 0n): StakeTx => ({
    type: STAKE_TX,
    ref: { rootChainId: 2, sequence: seq++, blockNumber: 1, logIndex: 0, txHash: '0x' + '11'.repeat(32) },
    kind,
    validatorId: 7,
    account,
    amount,
    aux,
  });
  for (const op of ops) {
    const held = stake[op.user]!;
    const amount = op.buy ? BigInt(op.n) * 10n ** 15n : (held * BigInt(op.n)) / 1000n;
    if (amount === 0n) continue;
    stake[op.user] = held + (op.buy ? amount : -amount);
    if (!op.buy) unbonding[op.user] = unbonding[op.user]! + amount;
    const delegated = stake.reduce((a, b) => a + b, 0n);
    const share = tx(op.buy ? StakeKind.ShareMinted : StakeKind.ShareBurned, USERS[op.user]!, amount, amount);
    const update = tx(StakeKind.StakeUpdate, ZERO, SELF + delegated);
    // Sequence follows log order: swap the sequences when StakeUpdate is logged first.
    if (op.stakeUpdateFirst) [share.ref.sequence, update.ref.sequence] = [update.ref.sequence, share.ref.sequence];
    calls.push(op.stakeUpdateFirst ? [update, share] : [share, update]);
    models.push({ delegated, stake: [...stake], unbonding: [...unbonding] });
  }
  return { calls, models };
}

function check(view: ReturnType<typeof memoryView>, m: { delegated: bigint; stake: bigint[]; unbonding: bigint[] }): void {
  const v = view.v.get(7)!;
  assert.equal(BigInt(v.delegatedStake), m.delegated);
  assert.equal(selfStakeOf(v), SELF, 'own stake never moves with delegation');
  assert.equal(BigInt(v.totalStake), SELF + m.delegated);
  assert.equal(v.delegators, m.stake.filter((s) => s > 0n).length);
  USERS.forEach((u, i) => {
    const d = view.d.get(`${u}/7`);
    assert.equal(BigInt(d?.stake ?? '0'), m.stake[i]);
    assert.equal(BigInt(d?.shares ?? '0'), m.stake[i], 'rate 1: shares = stake');
    assert.equal(BigInt(d?.unbonding ?? '0'), m.unbonding[i]);
  });
}

test('stake records equal the model after every call, in log order, whichever order StakeUpdate is logged in', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
      const { calls, models } = eventsOf(ops);
      const view = memoryView();
      view.putValidator(joinStakeRecord(7, SELF, 1n));
      for (const [i, call] of calls.entries()) {
        for (const t of call) assert.equal((await applyStakeTx(t, view, true)).outcome, 'applied');
        check(view, models[i]!);
      }
    }),
    { numRuns: 200 },
  );
});

test('stake records reach the model in any order of application, early events retried', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.infiniteStream(fc.nat()), async (ops, picks) => {
      const { calls, models } = eventsOf(ops);
      if (calls.length === 0) return;
      const view = memoryView();
      view.putValidator(joinStakeRecord(7, SELF, 1n));
      const pending = calls.flat();
      const it = picks[Symbol.iterator]();
      let stuck = 0;
      while (pending.length > 0) {
        const i = it.next().value! % pending.length;
        const r = await applyStakeTx(pending[i]!, view, true);
        assert.notEqual(r.outcome, 'rejected');
        if (r.outcome === 'early') {
          assert.ok(++stuck < 10_000, 'an early event must become applicable once the others are in');
          continue;
        }
        pending.splice(i, 1);
      }
      check(view, models[models.length - 1]!);
      for (const [k, d] of view.d) for (const f of ['shares', 'stake', 'unbonding'] as const) assert.ok(BigInt(d[f]) >= 0n, `${k}.${f} never negative`);
    }),
    { numRuns: 200 },
  );
});

test('stake tx codec: every kind round-trips; an unknown kind is refused by name', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...Object.values(StakeKind)),
      fc.nat({ max: 2 ** 40 }),
      fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
      fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
      (kind, id, amount, aux) => {
        const tx: StakeTx = {
          type: STAKE_TX,
          ref: { rootChainId: 2, sequence: 123n, blockNumber: 9, logIndex: 3, txHash: '0x' + 'ab'.repeat(32) },
          kind,
          validatorId: id,
          account: USERS[0]!,
          amount,
          aux,
        };
        const w = new Writer();
        stakeTxCodec.encode(w, tx);
        const r = new Reader(w.finish(), 'stake');
        assert.deepEqual(stakeTxCodec.decode(r), tx);
        r.end();
      },
    ),
  );
  const w = new Writer();
  stakeTxCodec.encode(w, {
    type: STAKE_TX,
    ref: { rootChainId: 2, sequence: 1n, blockNumber: 1, logIndex: 0, txHash: '0x' + 'ab'.repeat(32) },
    kind: 99 as StakeKind,
    validatorId: 1,
    account: ZERO,
    amount: 0n,
    aux: 0n,
  });
  assert.throws(() => stakeTxCodec.decode(new Reader(w.finish(), 'stake')), /stake tx: unknown kind 99/);
});

test('an older StakeUpdate is stale; Unstaked takes the own stake out and leaves the delegated; unknown validators wait', async () => {
  const view = memoryView();
  view.putValidator(joinStakeRecord(7, SELF, 1n));
  const tx = (kind: StakeKind, seq: bigint, amount: bigint, account = ZERO): StakeTx => ({
    type: STAKE_TX,
    ref: { rootChainId: 2, sequence: seq, blockNumber: 1, logIndex: 0, txHash: '0x' + '11'.repeat(32) },
    kind,
    validatorId: 7,
    account,
    amount,
    aux: amount,
  });
  assert.equal((await applyStakeTx(tx(StakeKind.ShareMinted, 10n, 5n, USERS[0]), view, true)).outcome, 'applied');
  assert.equal((await applyStakeTx(tx(StakeKind.StakeUpdate, 12n, SELF + 5n), view, true)).outcome, 'applied');
  assert.equal((await applyStakeTx(tx(StakeKind.StakeUpdate, 11n, SELF + 999n), view, true)).outcome, 'stale');
  assert.equal(view.v.get(7)!.totalStake, String(SELF + 5n));
  assert.equal((await applyStakeTx(tx(StakeKind.ValidatorUnstaked, 13n, SELF), view, true)).outcome, 'applied');
  assert.deepEqual([selfStakeOf(view.v.get(7)!), view.v.get(7)!.delegatedStake], [0n, '5']);
  const early = await applyStakeTx(tx(StakeKind.ShareMinted, 14n, 5n, USERS[1]), view, false);
  assert.deepEqual(early, { outcome: 'early', reason: 'ShareMinted: validator 7 is not known yet' });
  const noBuy = await applyStakeTx(tx(StakeKind.DelegatorClaimedRewards, 15n, 1n, USERS[2]), view, true);
  assert.equal(noBuy.outcome, 'early');
  assert.match(noBuy.reason!, /has no delegation to validator 7 yet/);
});
