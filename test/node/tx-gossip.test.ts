/**
 * Gossiped transaction batches are checked transaction by transaction before anything reaches the
 * pool or is relayed: one junk transaction rejects the batch; transactions that are fine but not
 * for us (known, unprotected, refused by the pool for its state) only make it ignored. Published
 * batches carry the send epoch, so re-announcing the same transactions later is a new message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Wallet } from 'ethers';
import { txGossipHandler, TxGossipBatcher } from '../../src/node/gossip-handlers.ts';
import { decodeTxBatch, encodeTxBatch, TX_EPOCH_MS } from '../../src/p2p/codec/txBatch.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { hexToBytes, bytesToHex } from '../../src/util/bytes.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { messageId } from '../../src/p2p/msgId.ts';
import type { GossipMessage } from '../../src/p2p/interface.ts';
import { metricValue } from '../p2p/helpers.ts';

const CHAIN = 1337199;
const GAS_LIMIT = 30_000_000n;
const wallet = new Wallet('0x' + '4c'.repeat(32));

async function tx(over: Record<string, unknown> = {}): Promise<Uint8Array> {
  return hexToBytes(await wallet.signTransaction({ type: 0, chainId: CHAIN, nonce: 0, gasPrice: 1_000_000_000n, gasLimit: 21000n, to: '0x' + '11'.repeat(20), value: 1n, ...over }));
}

function setup(opts: { known?: Set<string>; addOk?: boolean } = {}) {
  const added: Uint8Array[][] = [];
  const senders: string[] = [];
  const metrics = new Registry();
  const verifier = new InlineVerifier();
  const recovered = { items: 0 };
  const handler = txGossipHandler({
    intake: {
      addChecked: async (txs) => {
        added.push(txs.map((t) => t.tx.raw));
        senders.push(...txs.map((t) => bytesToHex(t.sender)));
        return txs.map(() => (opts.addOk === false ? { ok: false as const, code: 'nonce-too-low' } : { ok: true as const }));
      },
    },
    verifier: {
      verifyBatch: (items) => {
        recovered.items += items.length;
        return verifier.verifyBatch(items);
      },
    },
    chainId: CHAIN,
    blockGasLimit: () => GAS_LIMIT,
    known: (h) => opts.known?.has(bytesToHex(h)) ?? false,
    metrics,
  });
  const send = async (txs: Uint8Array[] | Uint8Array) =>
    handler({ kind: 'bttc-tx', from: 'peer-x', msgId: '00', data: txs instanceof Uint8Array ? txs : encodeTxBatch(txs, 7) } satisfies GossipMessage);
  return { added, senders, recovered, send, metrics };
}

test('a clean batch reaches the pool decoded, with the senders recovered once, and is relayed', async () => {
  const { added, senders, recovered, send } = setup();
  const a = await tx();
  const b = await tx({ nonce: 1, type: 1, accessList: [] });
  const data = encodeTxBatch([a, b], 7);
  assert.equal(await send(data), 'accept');
  assert.deepEqual(added, [[a, b]]);
  assert.deepEqual(senders, [wallet.address.toLowerCase(), wallet.address.toLowerCase()]);
  assert.equal(recovered.items, 2, 'one recovery per transaction: the pool gets the senders');
  // What the pool keeps is its own copy, not a view pinning the gossip message.
  for (const raw of added[0]!) assert.notEqual(raw.buffer, data.buffer);
});

test('one junk transaction rejects the whole batch, and the pool never sees it', async () => {
  const { added, send, metrics } = setup();
  const good = await tx();
  const badSig = (() => {
    // r replaced by a value that is no point's x coordinate on the curve: nothing recovers.
    const raw = good.slice();
    const rAt = raw.length - 66; // 0xa0 ‖ r(32) ‖ 0xa0 ‖ s(32)
    assert.equal(raw[rAt], 0xa0);
    raw.fill(0xff, rAt + 1, rAt + 33);
    return raw;
  })();
  const cases: [string, Uint8Array[] | Uint8Array][] = [
    ['batch framing', new Uint8Array([9, 9, 9])],
    ['bad RLP', [good, new Uint8Array([0xf8, 0xff, 0x01])]],
    ['EIP-1559 (never activated)', [good, new Uint8Array([0x02, 0xc0])]],
    ['bad signature', [good, badSig]],
    ['wrong chain id', [good, await tx({ chainId: 199 })]],
    ['gas limit far above the block', [good, await tx({ gasLimit: GAS_LIMIT * 2n })]],
    ['below intrinsic gas', [good, await tx({ gasLimit: 20_000n })]],
  ];
  for (const [what, batch] of cases) assert.equal(await send(batch), 'reject', what);
  assert.equal(added.length, 0, 'nothing reached the pool');
  assert.equal(await metricValue(metrics, 'bttc_tx_gossip_checked_total', { verdict: 'reject' }), cases.length);
  assert.equal(await metricValue(metrics, 'bttc_tx_gossip_checked_total', { verdict: 'reject', reason: 'bad-signature' }), 1);
});

test('fine but not for us: ignored, not punished', async () => {
  const a = await tx();
  const known = setup({ known: new Set([bytesToHex(keccak256(a))]) });
  assert.equal(await known.send([a]), 'ignore', 'all known: nothing new to relay');
  assert.equal(known.added.length, 0, 'and no second recovery or pool call');
  const unprotected = hexToBytes(await wallet.signTransaction({ type: 0, nonce: 0, gasPrice: 1n, gasLimit: 21000n, to: '0x' + '11'.repeat(20) }));
  assert.equal(await setup().send([unprotected]), 'ignore', 'pre-EIP-155: a policy, not a lie');
  assert.equal(await setup().send([await tx({ gasLimit: GAS_LIMIT + 1000n })]), 'ignore', 'gas limit a little above our head’s');
  const stale = setup({ addOk: false });
  assert.equal(await stale.send([await tx({ nonce: 5 })]), 'ignore', 'the pool took none (nonce too low, full, underpriced)');
  assert.equal(stale.added.length, 1);
});

test('batches carry the send epoch: a re-announcement in a later epoch is a new gossip message', async () => {
  let now = 1_700_000_000_000;
  const published: Uint8Array[] = [];
  const b = new TxGossipBatcher({ network: { publish: async (_k, data) => (published.push(data), { recipients: 0 }), connectedPeers: () => ['peer'] }, now: () => now });
  const a = await tx();
  b.queue(a);
  b.flush();
  b.queue(a);
  b.flush();
  now += TX_EPOCH_MS;
  b.queue(a);
  b.flush();
  const ids = published.map((d) => bytesToHex(messageId('/bttc/1337199/bttc-tx/2', d)));
  assert.equal(ids[0], ids[1], 'same epoch: one message');
  assert.notEqual(ids[1], ids[2], 'next epoch: the seen caches let it through');
  for (const d of published) {
    const r = decodeTxBatch(d);
    assert.ok(r.ok);
    assert.deepEqual(r.value, [a]);
  }
  const v1 = decodeTxBatch(encodeTxBatch([a]));
  assert.ok(v1.ok && v1.value.length === 1, 'v1 batches still decode');
});

test('with no peer connected nothing is handed to the network; once one connects, new transactions go out', async () => {
  let peers: string[] = [];
  const published: Uint8Array[] = [];
  const metrics = new Registry();
  const b = new TxGossipBatcher({ network: { publish: async (_k, data) => (published.push(data), { recipients: peers.length }), connectedPeers: () => peers }, metrics });
  const [a, c] = [await tx(), await tx({ nonce: 1 })];
  b.queue(a);
  b.flush();
  assert.equal(published.length, 0, 'alone: no hand-off');
  assert.equal(await metricValue(metrics, 'bttc_tx_gossip_skipped_total'), 1);
  peers = ['12D3KooWpeer'];
  b.queue(c);
  b.flush();
  assert.equal(published.length, 1);
  const r = decodeTxBatch(published[0]!);
  assert.ok(r.ok);
  assert.deepEqual(r.value, [c]);
  b.close();
});
