/**
 * Done means: a hostile peer between two honest validators cannot use one to flood the other. Two
 * validators run as real processes (`bttc-node devnet --validators 2`, A and B connected); the
 * hostile peer is a libp2p node in this process with the node's topics, connected to A only, over
 * real sockets on loopback. It publishes 300 junk consensus messages (bad framing, bad signature,
 * valid-looking votes from a non-member, far-future height) and 300 junk tx batches (bad RLP, bad
 * signature, wrong chain id). A rejects them and bans the peer after a few dozen (A's /metrics), the
 * peer cannot reconnect during its ban, none of it reaches B (B's /metrics), and Delivery keeps
 * committing on both nodes throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import type { NodeStatus } from '../../src/node/interface.ts';
import { JsonRpcClient } from '../../src/loadtest/rpc.ts';
import { encodeVote, valueIdOf, voteDigest } from '../../src/delivery/consensus/codec.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import { publicKeyCreate, signRsv } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { encodeTxBatch, txEpoch } from '../../src/p2p/codec/txBatch.ts';
import { RESEND_EPOCH_MS } from '../../src/node/consensus-transport.ts';
import { hexToBytes } from '../../src/util/bytes.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startNode, type TestNode } from '../p2p/helpers.ts';
import { sleep, until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Clear of devnet.test.ts (21000–31102), follower.test.ts (31200–39200) and delivery-sync.test.ts (41000+).
const BASE = 12000 + (process.pid % 500) * 16;
const PORTS = { rpc: BASE, rest: BASE + 3, root: BASE + 6, p2p: BASE + 8 };
const JUNK = 300;

/** Sum of a metric's samples in a Prometheus text page whose labels include `labels` (0 when none). */
function metricSum(page: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!(line.startsWith(name + '{') || line.startsWith(name + ' '))) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function metrics(rpcUrl: string): Promise<string> {
  return (await fetch(`${rpcUrl}/metrics`)).text();
}

/** mode 0 (broadcast) ‖ epoch u64 ‖ body: the consensus transport's framing. */
function frame(body: Uint8Array, mode = 0): Uint8Array {
  const out = new Uint8Array(9 + body.length);
  out[0] = mode;
  new DataView(out.buffer).setBigUint64(1, BigInt(Math.floor(Date.now() / RESEND_EPOCH_MS)));
  out.set(body, 9);
  return out;
}

function vote(opts: { height: number; round: number; validator: Uint8Array; sign?: Uint8Array; chainId: string }): Uint8Array {
  const v = { type: MsgType.Prevote, height: opts.height, round: opts.round, valueId: valueIdOf(randomBytes(8)), validator: opts.validator, extension: new Uint8Array(0) };
  const signature = opts.sign ? signRsv(voteDigest(opts.chainId, v), opts.sign) : Uint8Array.from([...randomBytes(64), 0]);
  return encodeVote({ ...v, signature });
}

test('a hostile peer connected to A: junk is rejected and the peer banned by A, nothing reaches B, consensus goes on', { timeout: 360_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-hostile-'));
  const args = ['--validators', '2', ...devnetPortArgs(PORTS)];
  const devnet = new DevnetProcess(dir, args);
  const config = loadConfig('devnet');
  let h: TestNode | null = null;
  try {
    const snap = await until('2 validators up, connected, Delivery at height ≥ 3', 150_000, () => {
      const s = devnet.snapshot();
      return s && s.nodes.length === 2 && s.nodes.every((n) => n.status && n.status.delivery.height >= 3 && n.status.peers >= 1) ? s : null;
    });
    const [A, B] = snap.nodes as [(typeof snap.nodes)[0], (typeof snap.nodes)[0]];
    const status = (rpcUrl: string) => new JsonRpcClient(rpcUrl, { timeoutMs: 3000 }).call<NodeStatus>('bttcnode_status');
    const sA0 = await status(A.rpcUrl);
    const sB0 = await status(B.rpcUrl);
    const addrA = `/ip4/127.0.0.1/tcp/${PORTS.p2p}/p2p/${sA0.peerId}`;
    const [mA0, mB0] = await Promise.all([metrics(A.rpcUrl), metrics(B.rpcUrl)]);

    // The hostile peer: a libp2p node with the node's topics (same chain id), dialling A only.
    h = await startNode({ reconnect: { baseMs: 100, maxMs: 500 } });
    assert.equal(config.bttc.chainId, 1337199, 'the hostile peer uses the devnet chain id for its topics');
    await h.net.dial(addrA);
    await until('H connected to A', 15_000, () => h!.net.connectedPeers().includes(sA0.peerId), 50);
    assert.ok(!h.net.connectedPeers().includes(sB0.peerId));

    const outsiderKey = randomBytes(32);
    const outsider = addressFromPublicKey(publicKeyCreate(outsiderKey));
    const signerA = hexToBytes(sA0.signer!);
    const dChain = config.delivery.chainId;
    const wallet = Wallet.createRandom();
    const goodTx = async (chainId: number, nonce: number) =>
      hexToBytes(await wallet.signTransaction({ type: 0, chainId, nonce, gasPrice: 1_000_000_000n, gasLimit: 21000n, to: '0x' + '11'.repeat(20), value: 1n }));
    let height = sA0.delivery.height + 1;
    let reached = 0;
    let sent = 0;
    for (let i = 0; i < JUNK; i++) {
      if (i % 40 === 0) height = (await status(A.rpcUrl)).delivery.height + 1;
      let body: Uint8Array;
      switch (i % 4) {
        case 0: // bad framing: an unknown mode byte
          body = frame(vote({ height, round: i, validator: signerA, chainId: dChain }), 7);
          break;
        case 1: // bad signature, claiming to be validator A
          body = frame(vote({ height, round: i, validator: signerA, chainId: dChain }));
          break;
        case 2: // valid-looking: correctly signed, by a key that is not a validator
          body = frame(vote({ height, round: i, validator: outsider, sign: outsiderKey, chainId: dChain }));
          break;
        default: // far-future height, forged signature
          body = frame(vote({ height: height + 1_000_000 + i, round: 0, validator: signerA, chainId: dChain }));
      }
      let raw: Uint8Array;
      switch (i % 3) {
        case 0: // bad RLP
          raw = Uint8Array.from([0xf8, 0xff, ...randomBytes(20)]);
          break;
        case 1: {
          // bad signature: r is not on the curve
          raw = await goodTx(config.bttc.chainId, i);
          raw.fill(0xff, raw.length - 65, raw.length - 33);
          break;
        }
        default: // wrong chain id
          raw = await goodTx(199, i);
      }
      const r = await Promise.all([
        h.net.publish('delivery-vote', body).catch(() => ({ recipients: 0 })),
        h.net.publish('bttc-tx', encodeTxBatch([raw], txEpoch(Date.now()))).catch(() => ({ recipients: 0 })),
      ]);
      sent += 2;
      reached += r.reduce((n, x) => n + x.recipients, 0);
      await sleep(10);
    }
    assert.equal(sent, 2 * JUNK);
    const [sA1, sB1] = await Promise.all([status(A.rpcUrl), status(B.rpcUrl)]);
    assert.ok(
      sA1.delivery.height > sA0.delivery.height && sB1.delivery.height > sB0.delivery.height,
      `Delivery committed during the junk: A ${sA0.delivery.height}→${sA1.delivery.height}, B ${sB0.delivery.height}→${sB1.delivery.height}`,
    );
    assert.ok(reached > 0, 'some junk was sent to A before the ban');

    // A rejected what it got, banned H and cut it off.
    await until('A disconnects H', 20_000, () => !h!.net.connectedPeers().includes(sA0.peerId), 100);
    const mA = await metrics(A.rpcUrl);
    const banned = metricSum(mA, 'bttc_p2p_peers_banned_total', { reason: 'gossip-score' }) - metricSum(mA0, 'bttc_p2p_peers_banned_total', { reason: 'gossip-score' });
    assert.equal(banned, 1, 'A banned the hostile peer once');
    const rejectedA =
      metricSum(mA, 'bttc_p2p_gossip_validation_total', { result: 'reject' }) +
      metricSum(mA, 'bttc_p2p_gossip_malformed_total') -
      metricSum(mA0, 'bttc_p2p_gossip_validation_total', { result: 'reject' }) -
      metricSum(mA0, 'bttc_p2p_gossip_malformed_total');
    t.diagnostic(`A rejected ${rejectedA} of ${sent} junk messages (${reached} deliveries) before the ban`);
    assert.ok(rejectedA >= 10 && rejectedA <= 100, `A rejected ${rejectedA} junk messages before the ban (a few dozen, not ${2 * JUNK})`);
    assert.ok(metricSum(mA, 'bttc_consensus_gossip_checked_total', { verdict: 'reject' }) > 0, 'consensus junk rejected by the transport');
    assert.ok(metricSum(mA, 'bttc_tx_gossip_checked_total', { verdict: 'reject' }) > 0, 'tx junk rejected by the tx check');
    assert.equal(metricSum(mA, 'bttc_consensus_gossip_checked_total', { verdict: 'accept', reason: 'non-member' }), 0);

    // Refused while banned: a redial does not give it a connection.
    await h.net.dial(addrA).catch(() => undefined);
    await sleep(1500);
    assert.ok(!h.net.connectedPeers().includes(sA0.peerId), 'A refuses the banned peer');
    assert.equal((await status(A.rpcUrl)).peers, 1, 'A is connected to B only');

    // None of it reached B: B rejected nothing, refused no tx batch, saw no consensus junk.
    const mB = await metrics(B.rpcUrl);
    const deltaB = (name: string, labels: Record<string, string> = {}) => metricSum(mB, name, labels) - metricSum(mB0, name, labels);
    assert.equal(deltaB('bttc_p2p_gossip_validation_total', { result: 'reject' }), 0, 'B rejected nothing');
    assert.equal(deltaB('bttc_p2p_gossip_malformed_total'), 0);
    // B does receive honest tx batches (validators gossip their audit-log anchor transactions), but no junk one.
    assert.equal(deltaB('bttc_tx_gossip_checked_total', { verdict: 'reject' }), 0, 'no junk tx batch reached B');
    for (const reason of ['bad-signature', 'non-member', 'not-proposer', 'far-future', 'malformed', 'malformed-frame', 'wrong-topic'])
      assert.equal(deltaB('bttc_consensus_gossip_checked_total', { reason }), 0, `B saw no consensus message with reason ${reason}`);
    assert.equal(deltaB('bttc_p2p_peers_banned_total'), 0, 'B had no one to ban');

    // Consensus went on throughout, on both nodes.
    await until('Delivery advanced on A and B', 30_000, async () => {
      const [a, b] = await Promise.all([status(A.rpcUrl), status(B.rpcUrl)]);
      return a.delivery.height >= sA0.delivery.height + 5 && b.delivery.height >= sB0.delivery.height + 5;
    });
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    await h?.net.close();
    await devnet.stopAndCheck();
  }
});
