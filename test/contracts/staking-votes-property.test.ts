/**
 * Property test of voting power (issue 16): random sequences of stake changes across blocks —
 * delegators buying, selling, claiming and restaking rewards, accounts re-delegating their votes,
 * partners joining and leaving a ValidatorPartnership, an owner restaking, a validator unstaking,
 * checkpoints paying rewards — against a plain TypeScript model of who owns how many units and who
 * votes for whom. At every block of a run: the model equals the audit's recomputation from the
 * VotesMoved logs (src/audit/voting-power.ts), and at sampled blocks (every block with
 * STAKING_PROPERTY_FULL=1) each account's getPastVotes equals the model and their sum equals
 * getPastTotalSupply, which equals the model's total.
 *
 * Each run starts from the same deployed state (an EVM state checkpoint reverted after the run), so
 * a run costs only its own transactions, on an in-memory state without a trie.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testKey, type TestKey } from '../helpers/keys.ts';
import { recomputeVotingPower, type VotesMove } from '../../src/audit/voting-power.ts';
import { E18 } from './fixture.ts';
import type { TxOutcome } from './harness.ts';
import { callAt, checkpoint, deployStakingSet, fundStaker, shareOf, view, type StakingSet } from './staking-fixture.ts';

/**
 * npm test runs 20 runs (about 2 s of CPU each: every run is ~80 EVM transactions of 100–300k gas in
 * @ethereumjs/vm); the 200 × 100 is `STAKING_PROPERTY_RUNS=200` (several minutes on 2 cores).
 */
const RUNS = Number(process.env.STAKING_PROPERTY_RUNS ?? 20);
const OPS = 100;
const FULL = process.env.STAKING_PROPERTY_FULL === '1';
const SAMPLED_BLOCKS = 4;
const MIN_DEPOSIT = 1000n * E18;
const SELF = 2000n * E18;
const DELAY = 1n;

type Op =
  | { k: 'buy'; who: number; v: number; amount: number }
  | { k: 'sell'; who: number; v: number; part: number }
  | { k: 'claim'; who: number; v: number }
  | { k: 'restake'; who: number; v: number }
  | { k: 'delegate'; who: number; to: number }
  | { k: 'join'; who: number; amount: number }
  | { k: 'leave'; who: number }
  | { k: 'claimLeave'; who: number }
  | { k: 'ownerRestake'; amount: number }
  | { k: 'unstake' }
  | { k: 'checkpoint' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('buy' as const), who: fc.nat(3), v: fc.nat(2), amount: fc.integer({ min: 1, max: 500 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('sell' as const), who: fc.nat(3), v: fc.nat(2), part: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('claim' as const), who: fc.nat(3), v: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('restake' as const), who: fc.nat(3), v: fc.nat(2) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('delegate' as const), who: fc.nat(8), to: fc.nat(8) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('join' as const), who: fc.nat(2), amount: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('leave' as const), who: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('claimLeave' as const), who: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ownerRestake' as const), amount: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'unstake' as const }) },
  { weight: 2, arbitrary: fc.constant({ k: 'checkpoint' as const }) },
);

/** Who owns how many units and who votes for whom; nothing here reads the contracts. */
class Model {
  units = new Map<string, bigint>();
  delegatee = new Map<string, string>();
  total = 0n;
  /** Delegator stake per validator index, unbonds (amount, epoch) per delegator and validator. */
  stake = new Map<string, bigint>();
  unbonds = new Map<string, { nonce: number; epoch: bigint }[]>();
  nonces = new Map<string, number>();
  epoch = 0n;
  unstaking = false;
  partnerShares = new Map<string, bigint>();
  selfStake0 = SELF;
  leaving = new Map<string, { amount: bigint; epoch: bigint; claimed: boolean }>();

  of(a: string): string {
    return this.delegatee.get(a) ?? a;
  }
  mint(a: string, n: bigint): void {
    this.units.set(a, (this.units.get(a) ?? 0n) + n);
    this.total += n;
  }
  burn(a: string, n: bigint): void {
    this.units.set(a, (this.units.get(a) ?? 0n) - n);
    this.total -= n;
  }
  votes(): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const [a, u] of this.units) if (u !== 0n) out.set(this.of(a), (out.get(this.of(a)) ?? 0n) + u);
    for (const [a, u] of out) if (u === 0n) out.delete(a);
    return out;
  }
}

interface Base {
  set: StakingSet;
  shares: string[];
  partnership: string;
  delegators: TestKey[];
  partners: TestKey[];
  owners: TestKey[];
  accounts: string[];
  /** VotesMoved of the genesis stakes. */
  baseMoves: VotesMove[];
  number: bigint;
  timestamp: bigint;
  epoch: bigint;
}

async function setup(): Promise<Base> {
  const set = await deployStakingSet({ validators: 3, stake: SELF, params: { minDeposit: MIN_DEPOSIT, withdrawalDelay: DELAY, validatorThreshold: 10n }, simpleState: true });
  const owners = set.vals.map((v) => v.owner);
  const shares: string[] = [];
  for (const v of set.vals) shares.push(await shareOf(set, set.ids.get(v)!));
  const out = await set.chain.send(owners[0]!, 'StakeManager', set.stakeManager, 'createPartnership', [set.ids.get(set.vals[0]!)!]);
  assert.ok(out.ok, out.revert);
  const partnership = (await view<string>(set, 'StakeManager', set.stakeManager, 'partnershipOf', [set.ids.get(set.vals[0]!)!])).toLowerCase();
  set.chain.at('ValidatorPartnership', partnership);
  const delegators = [0, 1, 2, 3].map((i) => testKey(`prop-delegator-${i}`));
  const partners = [testKey('prop-partner-0'), testKey('prop-partner-1')];
  for (const d of delegators) await fundStaker(set, d, 10n ** 6n * E18);
  for (const p of partners) await fundStaker(set, p, 10n ** 6n * E18, partnership);
  await fundStaker(set, owners[1]!, 10n ** 6n * E18);
  for (const o of owners) await set.chain.fund(o.addressHex);
  const accounts = [...delegators, ...partners, ...owners].map((k) => k.addressHex);
  const baseMoves = set.stakeOutcomes.flatMap(movesOf);
  assert.equal(baseMoves.length, 3);
  return {
    set,
    shares,
    partnership,
    delegators,
    partners,
    owners,
    accounts,
    baseMoves,
    number: set.chain.number,
    timestamp: set.chain.timestamp,
    epoch: await view(set, 'StakeManager', set.stakeManager, 'epoch'),
  };
}

function movesOf(out: TxOutcome): VotesMove[] {
  return out.logs
    .filter((l) => l.name === 'VotesMoved')
    .map((l) => ({
      account: (l.args.account as string).toLowerCase(),
      from: (l.args.fromDelegatee as string).toLowerCase(),
      to: (l.args.toDelegatee as string).toLowerCase(),
      amount: l.args.amount as bigint,
      block: l.args.blockNumber as bigint,
    }));
}

async function runOps(b: Base, ops: Op[], rng: () => number): Promise<void> {
  const { set, shares, partnership, delegators, partners, owners } = b;
  const chain = set.chain;
  const m = new Model();
  for (const o of owners) m.mint(o.addressHex, SELF);
  m.epoch = b.epoch;
  m.partnerShares.set(owners[0]!.addressHex, SELF);
  const partnerKeys = [owners[0]!, ...partners];
  const everyone = [...delegators, ...partners, ...owners];
  const moves: VotesMove[] = [...b.baseMoves];
  /** Model votes and total after each block of the run (each transaction is one block). */
  const history: { block: bigint; votes: Map<string, bigint>; total: bigint }[] = [{ block: chain.number - 1n, votes: m.votes(), total: m.total }];
  const send = async (who: TestKey, name: string, to: string, fn: string, args: unknown[] = []) => {
    const out = await chain.send(who, name, to, fn, args);
    assert.ok(out.ok, `${name}.${fn}(${args.join(', ')}) by ${who.addressHex}: ${out.revert}`);
    moves.push(...movesOf(out));
    return out;
  };
  const key = (d: TestKey, v: number) => `${d.addressHex}/${v}`;

  for (const op of ops) {
    let sent = true;
    switch (op.k) {
      case 'buy': {
        const d = delegators[op.who]!;
        if (op.v === 2 && m.unstaking) {
          sent = false;
          break;
        }
        const amount = BigInt(op.amount) * E18;
        await send(d, 'ValidatorShare', shares[op.v]!, 'buyVoucher', [amount, 0n]);
        m.stake.set(key(d, op.v), (m.stake.get(key(d, op.v)) ?? 0n) + amount);
        m.mint(d.addressHex, amount);
        break;
      }
      case 'sell': {
        const d = delegators[op.who]!;
        const held = m.stake.get(key(d, op.v)) ?? 0n;
        if (held === 0n) {
          sent = false;
          break;
        }
        const amount = op.part === 4 ? held : (held * BigInt(op.part)) / 4n + 1n;
        await send(d, 'ValidatorShare', shares[op.v]!, 'sellVoucher_new', [amount, amount]);
        m.stake.set(key(d, op.v), held - amount);
        m.burn(d.addressHex, amount);
        const nonce = (m.nonces.get(key(d, op.v)) ?? 0) + 1;
        m.nonces.set(key(d, op.v), nonce);
        m.unbonds.set(key(d, op.v), [...(m.unbonds.get(key(d, op.v)) ?? []), { nonce, epoch: m.epoch }]);
        break;
      }
      case 'claim': {
        const d = delegators[op.who]!;
        const list = m.unbonds.get(key(d, op.v)) ?? [];
        const ready = list.find((u) => u.epoch + DELAY <= m.epoch);
        if (!ready) {
          sent = false;
          break;
        }
        await send(d, 'ValidatorShare', shares[op.v]!, 'unstakeClaimTokens_new', [BigInt(ready.nonce)]);
        m.unbonds.set(
          key(d, op.v),
          list.filter((u) => u !== ready),
        );
        break;
      }
      case 'restake': {
        const d = delegators[op.who]!;
        const liquid = (await callAt(chain, 'ValidatorShare', shares[op.v]!, 'getLiquidRewards', [d.addressHex]))[0] as bigint;
        if (liquid === 0n || (op.v === 2 && m.unstaking)) {
          sent = false;
          break;
        }
        await send(d, 'ValidatorShare', shares[op.v]!, 'restake');
        // Rate 100: every wei of reward buys a share, so the whole reward becomes stake.
        m.stake.set(key(d, op.v), (m.stake.get(key(d, op.v)) ?? 0n) + liquid);
        m.mint(d.addressHex, liquid);
        break;
      }
      case 'delegate': {
        const who = everyone[op.who]!;
        const to = everyone[op.to]!;
        await send(who, 'StakeVotes', set.stakeVotes, 'delegate', [to.addressHex]);
        if (to.addressHex === who.addressHex) m.delegatee.delete(who.addressHex);
        else m.delegatee.set(who.addressHex, to.addressHex);
        break;
      }
      case 'join': {
        const p = partnerKeys[op.who]!;
        const l = m.leaving.get(p.addressHex);
        if (l && !l.claimed) {
          sent = false;
          break;
        }
        if (p === owners[0]) {
          // The founder joins with more stake like any partner: it needs tokens and an allowance.
          await fundStaker(set, p, BigInt(op.amount) * E18, partnership);
          history.push({ block: chain.number - 1n, votes: m.votes(), total: m.total }, { block: chain.number - 2n, votes: m.votes(), total: m.total });
        }
        const amount = BigInt(op.amount) * E18;
        await send(p, 'ValidatorPartnership', partnership, 'join', [amount]);
        m.partnerShares.set(p.addressHex, (m.partnerShares.get(p.addressHex) ?? 0n) + amount);
        m.selfStake0 += amount;
        m.mint(p.addressHex, amount);
        break;
      }
      case 'leave': {
        const p = partnerKeys[op.who]!;
        const s = m.partnerShares.get(p.addressHex) ?? 0n;
        const totalShares = [...m.partnerShares.values()].reduce((x, y) => x + y, 0n);
        if (s === 0n || s === totalShares || m.selfStake0 - s < MIN_DEPOSIT) {
          sent = false;
          break;
        }
        await send(p, 'ValidatorPartnership', partnership, 'leave');
        m.partnerShares.set(p.addressHex, 0n);
        m.selfStake0 -= s;
        m.burn(p.addressHex, s);
        m.leaving.set(p.addressHex, { amount: s, epoch: m.epoch + DELAY, claimed: false });
        break;
      }
      case 'claimLeave': {
        const p = partnerKeys[op.who]!;
        const l = m.leaving.get(p.addressHex);
        if (!l || l.claimed || m.epoch < l.epoch) {
          sent = false;
          break;
        }
        await send(p, 'ValidatorPartnership', partnership, 'claimLeave');
        l.claimed = true;
        break;
      }
      case 'ownerRestake': {
        const amount = BigInt(op.amount) * E18;
        await send(owners[1]!, 'StakeManager', set.stakeManager, 'restake', [set.ids.get(set.vals[1]!)!, amount, false]);
        m.mint(owners[1]!.addressHex, amount);
        break;
      }
      case 'unstake': {
        if (m.unstaking) {
          sent = false;
          break;
        }
        await send(owners[2]!, 'StakeManager', set.stakeManager, 'unstake', [set.ids.get(set.vals[2]!)!]);
        m.unstaking = true;
        m.burn(owners[2]!.addressHex, SELF);
        break;
      }
      case 'checkpoint': {
        const out = await checkpoint(set);
        assert.ok(out.ok, out.revert);
        m.epoch += 1n;
        break;
      }
    }
    if (sent || op.k === 'checkpoint') history.push({ block: chain.number - 1n, votes: m.votes(), total: m.total });
  }

  // Every block of the run: the model equals the audit's recomputation from the logs.
  for (const h of history) {
    const vp = recomputeVotingPower(moves, h.block);
    assert.equal(vp.total, h.total, `total at block ${h.block}`);
    assert.deepEqual(new Map([...vp.accounts].sort()), new Map([...h.votes].sort()), `votes at block ${h.block}`);
  }
  // Sampled blocks (or all): the contract agrees, and its votes add up to its total supply.
  const blocks = FULL ? history : Array.from({ length: SAMPLED_BLOCKS }, () => history[Math.floor(rng() * history.length)]!);
  blocks.push(history[history.length - 1]!);
  for (const h of blocks) {
    let sum = 0n;
    for (const a of b.accounts) {
      const v = (await callAt(chain, 'StakeVotes', set.stakeVotes, 'getPastVotes', [a, h.block]))[0] as bigint;
      assert.equal(v, h.votes.get(a) ?? 0n, `getPastVotes(${a}, ${h.block})`);
      sum += v;
    }
    const total = (await callAt(chain, 'StakeVotes', set.stakeVotes, 'getPastTotalSupply', [h.block]))[0] as bigint;
    assert.equal(total, h.total, `getPastTotalSupply(${h.block})`);
    assert.equal(sum, total, `sum of getPastVotes at ${h.block}`);
  }
}

describe('voting power: property test against a TypeScript model', () => {
  let base: Base;
  before(async () => {
    base = await setup();
  });

  it(`${RUNS} runs × ${OPS} operations: model = audit recomputation = getPastVotes, Σ getPastVotes = getPastTotalSupply`, { timeout: 900_000 }, async () => {
    const sm = base.set.chain.vm.stateManager;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: OPS, maxLength: OPS }), fc.integer(), async (ops, seed) => {
        await sm.checkpoint();
        let s = seed >>> 0;
        const rng = () => {
          s = (s * 1103515245 + 12345) >>> 0;
          return s / 2 ** 32;
        };
        try {
          await runOps(base, ops, rng);
        } finally {
          await sm.revert();
          base.set.chain.number = base.number;
          base.set.chain.timestamp = base.timestamp;
          base.set.checkpoints = 0;
        }
      }),
      // Shrinking replays 100-transaction runs many times: only on request (STAKING_PROPERTY_SHRINK=1).
      { numRuns: RUNS, endOnFailure: process.env.STAKING_PROPERTY_SHRINK !== '1' },
    );
  });
});
