/**
 * Bttc intake and header costs, side by side in one run:
 * - 256 signed transfers decoded and their senders recovered: ours (own RLP decoder + one native
 *   verifier batch) vs stock EthereumJS (`createTxFromRLP` + `getSenderAddress`, default crypto).
 * - Decoding alone (fields + the digest the sender signed): ours (RLP read in place, digest hashed from
 *   the raw fields) vs stock EthereumJS (`createTxFromRLP` + `getHashedMessageToSign`).
 * - TxPool.addRaw of the same 256 (decode, recover, state checks, ordering), for the absolute rate.
 * - A header sealed, and a header verified (seal recovery + Bor rules) cold and with the signer cache.
 * Run: node bench/bttc-txpool.ts [--quick]
 */
import { createTxFromRLP } from '@ethereumjs/tx';
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { newBench, report, rows, QUICK } from './lib/harness.ts';
import { InlineVerifier } from '../src/pools/inline.ts';
import { TxPool } from '../src/bttc/txpool/pool.ts';
import { decodeTx } from '../src/bttc/txpool/tx.ts';
import { HeaderVerifier } from '../src/bttc/engine/verify.ts';
import { SignerCache } from '../src/bttc/engine/seal.ts';
import { borProducerSetFactory } from '../src/bttc/engine/valset.ts';
import { headerHash } from '../src/bttc/engine/header.ts';
import { genesisHeader, makeSigners, MemAccounts, producersOf, sealedChild, signTx, testParams } from '../test/bttc/helpers.ts';

const N = 256;
const users = makeSigners(32, 'bench-user');
const raws = users.flatMap((u) => Array.from({ length: N / users.length }, (_, i) => signTx({ nonce: BigInt(i), gasPrice: BigInt(1 + (i % 7)) }, u.key)));
const common = createCustomCommon({ chainId: testParams.chainId }, Mainnet, { hardfork: 'berlin' });
const verifier = new InlineVerifier();
const accounts = new MemAccounts();
for (const u of users) accounts.set(u.address, { nonce: 0n, balance: 10n ** 24n });

const producers = makeSigners(7, 'bench-producer');
const genesis = genesisHeader();
const set = borProducerSetFactory.create(producersOf(producers));
const snapshot = { number: 0n, hash: headerHash(genesis), set };
const inTurn = producers.find((p) => Buffer.compare(p.address, set.proposer()) === 0)!;
const child = sealedChild(genesis, inTurn, { time: genesis.time + 2n, difficulty: 7n, sprint: testParams.sprint });
const cold = new HeaderVerifier(testParams, { spans: { producersFor: () => producersOf(producers) }, signers: new SignerCache(1) });
const warm = new HeaderVerifier(testParams, { spans: { producersFor: () => producersOf(producers) } });
let flip = 0;
const other = sealedChild(genesis, inTurn, { time: genesis.time + 2n, difficulty: 7n, sprint: testParams.sprint, stateSalt: 1 });

const bench = newBench();
bench
  .add(`stock: createTxFromRLP + getSenderAddress ×${N}`, () => {
    for (const r of raws) createTxFromRLP(r, { common }).getSenderAddress();
  })
  .add(`ours: decodeTx + native recover batch ×${N}`, async () => {
    const d = raws.map(decodeTx);
    await verifier.verifyBatch(d.map((t) => ({ kind: 'secp256k1-recover' as const, digest: t.sigHash, signature: t.signature })));
  })
  .add(`decode only, stock: createTxFromRLP + getHashedMessageToSign ×${N}`, () => {
    for (const r of raws) createTxFromRLP(r, { common }).getHashedMessageToSign();
  })
  .add(`decode only, ours: decodeTx ×${N}`, () => {
    for (const r of raws) decodeTx(r);
  })
  .add(`TxPool.addRaw ×${N} (fresh pool)`, async () => {
    const pool = new TxPool({ chainId: testParams.chainId, blockGasLimit: 20_000_000n }, { verifier, accounts });
    await pool.addRaw(raws);
  })
  .add('seal a header', () => {
    sealedChild(genesis, inTurn, { time: genesis.time + 2n, difficulty: 7n, sprint: testParams.sprint });
  })
  .add('verify a header (cold: recover each time)', () => {
    // Alternate two headers with a one-entry cache so every call recovers.
    const h = flip++ % 2 ? child : other;
    cold.verify(h, { parent: genesis, snapshot, now: 2e9 });
  })
  .add('verify a header (signer cached)', () => {
    warm.verify(child, { parent: genesis, snapshot, now: 2e9 });
  });
await bench.run();
const r = rows(bench);
const by = (prefix: string) => r.find((x) => x.name.startsWith(prefix))!.meanMs;
report('bttc-txpool', {
  rows: r,
  ratios: {
    'decode+recover: stock / ours': by('stock:') / by('ours:'),
    'decode only: stock / ours': by('decode only, stock') / by('decode only, ours'),
    'header verify: cold / cached': by('verify a header (cold') / by('verify a header (signer'),
  },
  notes: [
    `${N} legacy transfers from ${users.length} senders; pool rate = ${Math.round((N / by('TxPool.addRaw')) * 1000)} tx/s on the main thread with the inline verifier`,
    'machine shared with other helpers while running' + (QUICK ? ' (quick mode)' : ''),
  ],
});
await verifier.close();
