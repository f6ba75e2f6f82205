/**
 * Slashing (issue 19):
 *  1. evidence verification rate: `checkEvidence` on double-sign evidence (decode two votes,
 *     recover two secp256k1 signatures, canonical hash), and on downtime evidence over a 100-commit
 *     window (set lookups only);
 *  2. `SlashingManager.updateSlashedAmounts` gas for batches of 1, 10 and 100 final slashes, on the
 *     real root contracts in @ethereumjs/vm (Berlin), 2/3+1 of 4 validator signatures, each slashed
 *     validator with 2 delegators (a double-sign cut walks its ValidatorShare's holders); and one
 *     double-sign slash of a partnership validator with a bonded and a leaving partner.
 *
 *   node bench/slashing.ts [--quick]
 */
import { newBench, report, rows } from './lib/harness.ts';
import { E18, signSorted, sortBySigner } from '../test/contracts/fixture.ts';
import { deployStakingSet, fundStaker, shareOf } from '../test/contracts/staking-fixture.ts';
import { testKey } from '../test/helpers/keys.ts';
import { encodeVote, voteDigest } from '../src/delivery/consensus/codec.ts';
import type { Vote } from '../src/delivery/consensus/types.ts';
import { signRsv } from '../src/crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../src/util/bytes.ts';
import { checkEvidence, type CheckContext } from '../src/slashing/checks.ts';
import type { Evidence } from '../src/slashing/evidence.ts';
import { encodeSlashBatch, type FinalSlash } from '../src/slashing/batch.ts';
import { DEFAULT_PENALTIES } from '../src/slashing/penalty.ts';

const CHAIN = 'delivery-bench';
const k = testKey('bench-slash');

function vote(h: number, value: number): string {
  const v: Vote = { type: 3, height: h, round: 0, valueId: new Uint8Array(32).fill(value), validator: hexToBytes(k.addressHex), extension: new Uint8Array(0), signature: new Uint8Array(65) };
  v.signature = signRsv(voteDigest(CHAIN, v), k.secret);
  return bytesToHex(encodeVote(v));
}

async function verificationRate() {
  const set = new Set([k.addressHex]);
  const everyone = new Set([k.addressHex, '0x' + '11'.repeat(20)]);
  const ctx: CheckContext = {
    chainId: CHAIN,
    height: 1000,
    maxAgeHeights: 10_000,
    validatorsAt: () => everyone,
    seen: () => false,
    signedAt: (h) => (h % 3 === 0 ? set : everyone),
    downtime: { window: 100, maxMissed: 10 },
  };
  const ds: Evidence = { v: 1, offense: 'double-sign', chainId: CHAIN, voteA: vote(900, 1), voteB: vote(900, 2) };
  const dt: Evidence = { v: 1, offense: 'downtime', validator: '0x' + '11'.repeat(20), toHeight: '999', window: '100' };
  if (!checkEvidence(ds, ctx).ok || !checkEvidence(dt, ctx).ok) throw new Error('bench evidence must be accepted');
  const bench = newBench();
  bench.add('checkEvidence double-sign (2 recoveries)', () => void checkEvidence(ds, ctx));
  bench.add('checkEvidence downtime (100-commit window)', () => void checkEvidence(dt, ctx));
  await bench.run();
  return rows(bench);
}

async function batchGas(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const set = await deployStakingSet({ validators: 4, simpleState: true });
  const sm = await set.chain.deploy('SlashingManager', set.gov, [set.stakeManager]);
  await set.chain.must(set.gov, 'StakeManager', set.stakeManager, 'setSlashingManager', [sm]);
  for (const v of set.vals) {
    const share = await shareOf(set, set.ids.get(v)!);
    for (let i = 0; i < 2; i++) {
      const d = testKey(`bench-slash-d-${v.signerAddress}-${i}`);
      await fundStaker(set, d, 100n * E18);
      await set.chain.must(d, 'ValidatorShare', share, 'buyVoucher', [100n * E18, 0n]);
    }
  }
  const signers = sortBySigner(set.vals.slice(0, 3));
  let nonce = 0n;
  let ev = 0;
  for (const n of [1, 10, 100]) {
    for (const offense of ['double-sign', 'downtime'] as const) {
      const r = DEFAULT_PENALTIES[offense];
      // Small cuts so 100 repeated slashes of 4 validators stay within their stake; no jail after the first.
      const slashes: FinalSlash[] = Array.from({ length: n }, (_, i) => ({
        validatorId: set.ids.get(set.vals[i % 4]!)!,
        selfBps: 1,
        delegatorBps: r.delegatorBps > 0 ? 1 : 0,
        jailEpochs: 0,
        evidenceHash: '0x' + (++ev).toString(16).padStart(64, '0'),
      }));
      nonce++;
      const data = encodeSlashBatch(nonce, set.vals[0]!.signerAddress, slashes);
      const res = await set.chain.send(set.gov, 'SlashingManager', sm, 'updateSlashedAmounts', [data, signSorted(data, signers)]);
      if (!res.ok) throw new Error(`updateSlashedAmounts(${n}): ${res.revert}`);
      out[`${n} ${offense} slash${n > 1 ? 'es' : ''}`] = Number(res.gasUsed);
    }
  }
  // A partnership (founder + one bonded partner + one partner whose leave is pending): the cut walks
  // the partners and also cuts the pending leave, returning its tokens to the StakeManager.
  const v = set.vals[3]!;
  const id = set.ids.get(v)!;
  await set.chain.must(v.owner, 'StakeManager', set.stakeManager, 'createPartnership', [id]);
  const p = ((await set.chain.call('StakeManager', set.stakeManager, 'partnershipOf', [id]))[0] as string).toLowerCase();
  set.chain.at('ValidatorPartnership', p);
  for (const label of ['bench-slash-partner', 'bench-slash-leaver']) {
    const partner = testKey(label);
    await fundStaker(set, partner, 100n * E18, p);
    await set.chain.must(partner, 'ValidatorPartnership', p, 'join', [100n * E18]);
    if (label.endsWith('leaver')) await set.chain.must(partner, 'ValidatorPartnership', p, 'leave');
  }
  const data = encodeSlashBatch(++nonce, set.vals[0]!.signerAddress, [{ validatorId: id, selfBps: 1, delegatorBps: 1, jailEpochs: 0, evidenceHash: '0x' + (++ev).toString(16).padStart(64, '0') }]);
  const res = await set.chain.send(set.gov, 'SlashingManager', sm, 'updateSlashedAmounts', [data, signSorted(data, signers)]);
  if (!res.ok) throw new Error(`updateSlashedAmounts(partnership): ${res.revert}`);
  out['1 double-sign slash, partnership with a pending leave'] = Number(res.gasUsed);
  return out;
}

const verify = await verificationRate();
const gas = await batchGas();
console.table(gas);
report('slashing', {
  rows: verify,
  gas,
  notes: [
    'one 2-core machine: rates move with its load, compare within this run only',
    'gas: one batch tx, 3 of 4 signatures (2/3+1); double-sign rows cut delegators too (walks 2 ValidatorShare holders per slash)',
  ],
});
