/**
 * Checkpoint signature sets with 7, 21, 100 and 1000 validators, every validator signing:
 *  - secp256k1 (the canonical form): verify the whole set through a SignatureVerifier and build the
 *    submitCheckpoint calldata — inline on the main thread, and in the verify pool with 1 and 2
 *    threads — against the time to sign one vote and to sign all n (what the network spends).
 *  - BLS (optional compressed form): aggregate the n votes and check them with one
 *    fastAggregateVerify, and verify an already-built aggregate (what a receiver does).
 * Ratios are measured side by side in one run.
 *
 *   node bench/checkpoint.ts [--quick]
 */
import { newBench, report, rows, QUICK, type TaskRow } from './lib/harness.ts';
import { InlineVerifier } from '../src/pools/inline.ts';
import { VerifyPool } from '../src/pools/verifyPool.ts';
import type { SignatureVerifier } from '../src/pools/interface.ts';
import { SignatureSet } from '../src/protocol/checkpoint/signature-set.ts';
import { checkpointSignBytes, checkpointVoteHash, signCheckpoint, type Checkpoint } from '../src/protocol/checkpoint/checkpoint.ts';
import { BlsSignatureAggregator, verifyBlsAggregate, encodeBlsAggregate } from '../src/protocol/checkpoint/bls-aggregate.ts';
import { blsKeygen, blsSign } from '../src/crypto/bls.ts';
import { addressFromPublicKey } from '../src/crypto/address.ts';
import { publicKeyCreate } from '../src/crypto/secp256k1.ts';
import { bytesToHex, uintToBytes } from '../src/util/bytes.ts';

const SIZES = QUICK ? [7, 100] : [7, 21, 100, 1000];

const checkpoint: Checkpoint = {
  proposer: '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23',
  start: 256,
  end: 511,
  rootHash: '0x' + '11'.repeat(32),
  accountRootHash: '0x' + '22'.repeat(32),
  borChainId: 199,
  epoch: 2,
};
const data = checkpointSignBytes(checkpoint);
const voteHash = checkpointVoteHash(checkpoint);

interface Fixture {
  n: number;
  keys: Uint8Array[];
  signers: string[];
  votes: { signer: string; signature: Uint8Array }[];
  bls: { secretKey: Uint8Array; publicKey: Uint8Array }[];
  blsSigs: Uint8Array[];
}

function fixture(n: number): Fixture {
  const keys = Array.from({ length: n }, (_, i) => uintToBytes(0xb77c0000 + i));
  const signers = keys.map((k) => bytesToHex(addressFromPublicKey(publicKeyCreate(k))));
  const votes = keys.map((k, i) => ({ signer: signers[i]!, signature: signCheckpoint(checkpoint, k) }));
  const bls = Array.from({ length: n }, (_, i) => blsKeygen(uintToBytes(0xb1500000 + i)));
  const blsSigs = bls.map((k) => blsSign(k.secretKey, voteHash));
  return { n, keys, signers, votes, bls, blsSigs };
}

async function verifySet(f: Fixture, verifier: SignatureVerifier): Promise<Uint8Array> {
  const set = new SignatureSet({ voteHash, validators: f.signers }, { verifier });
  await set.add(f.votes);
  if (set.count !== f.n || !set.approved) throw new Error(`bench: only ${set.count}/${f.n} votes accepted`);
  return set.submitCheckpointCalldata(data);
}

async function main(): Promise<void> {
  const inline = new InlineVerifier();
  const pool1 = new VerifyPool({ threads: 1 });
  const pool2 = new VerifyPool({ threads: 2 });
  const allRows: TaskRow[] = [];
  const ratios: Record<string, number> = {};
  const sizes: Record<string, unknown>[] = [];
  try {
    for (const n of SIZES) {
      const f = fixture(n);
      const pks = f.bls.map((k) => k.publicKey);
      const builder = new BlsSignatureAggregator({ message: voteHash, publicKeys: pks }, { verifier: inline });
      f.blsSigs.forEach((s, i) => builder.add(i, s));
      const built = await builder.build();
      if (!built.aggregate || !built.approved) throw new Error('bench: BLS aggregate did not verify');
      const agg = built.aggregate;
      const calldata = await verifySet(f, inline);
      sizes.push({ validators: n, calldataBytes: calldata.length, secpSignatureBytes: n * 65, blsAggregateBytes: encodeBlsAggregate(agg).length });

      const bench = newBench({ iterations: n >= 1000 ? 5 : 10 });
      bench
        .add(`n=${n} sign one vote (secp256k1)`, () => {
          signCheckpoint(checkpoint, f.keys[0]!);
        })
        .add(`n=${n} sign all votes (secp256k1)`, () => {
          for (const k of f.keys) signCheckpoint(checkpoint, k);
        })
        .add(`n=${n} verify set + calldata, inline`, async () => {
          await verifySet(f, inline);
        })
        .add(`n=${n} verify set + calldata, pool 1 thread`, async () => {
          await verifySet(f, pool1);
        })
        .add(`n=${n} verify set + calldata, pool 2 threads`, async () => {
          await verifySet(f, pool2);
        })
        .add(`n=${n} BLS sign one vote`, () => {
          blsSign(f.bls[0]!.secretKey, voteHash);
        })
        .add(`n=${n} BLS aggregate + 1 fastAggregateVerify`, async () => {
          const b = new BlsSignatureAggregator({ message: voteHash, publicKeys: pks }, { verifier: inline });
          f.blsSigs.forEach((s, i) => b.add(i, s));
          await b.build();
        })
        .add(`n=${n} BLS verify built aggregate`, async () => {
          const r = await verifyBlsAggregate(agg, voteHash, pks, inline);
          if (!r.ok) throw new Error('bench: aggregate failed');
        });
      await bench.run();
      const r = rows(bench);
      allRows.push(...r);
      const m = (suffix: string) => r.find((x) => x.name === `n=${n} ${suffix}`)!.meanMs;
      ratios[`n=${n} inline verify+calldata / sign one`] = m('verify set + calldata, inline') / m('sign one vote (secp256k1)');
      ratios[`n=${n} inline verify+calldata / sign all`] = m('verify set + calldata, inline') / m('sign all votes (secp256k1)');
      ratios[`n=${n} pool 1 thread / inline`] = m('verify set + calldata, pool 1 thread') / m('verify set + calldata, inline');
      ratios[`n=${n} pool 2 threads / pool 1 thread`] = m('verify set + calldata, pool 2 threads') / m('verify set + calldata, pool 1 thread');
      ratios[`n=${n} BLS verify aggregate / secp inline verify set`] = m('BLS verify built aggregate') / m('verify set + calldata, inline');
      ratios[`n=${n} BLS aggregate+verify / secp inline verify set`] = m('BLS aggregate + 1 fastAggregateVerify') / m('verify set + calldata, inline');
    }
  } finally {
    await Promise.all([inline.close(), pool1.close(), pool2.close()]);
  }
  report('checkpoint', {
    rows: allRows,
    ratios,
    sizes,
    notes: [
      'secp256k1 verification goes through SignatureSet.add → SignatureVerifier.verifyBatch (recover items), then the sorted [R,S,V] submitCheckpoint calldata is built',
      'pool = src/pools/verifyPool.ts (piscina, packed batches of ≤128 items); inline = src/pools/inline.ts on the main thread',
      'the machine has 2 cores shared with other work: "pool 2 threads" competes with the main thread and other processes',
      'BLS verify of a built aggregate includes public-key cache hits (validated keys are cached, as a node would)',
    ],
  });
}

await main();
