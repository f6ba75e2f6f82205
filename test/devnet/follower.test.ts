/**
 * Done means: `bttc-node devnet --followers 1` runs 4 validators and 1 follower (no keys) as real
 * processes. The follower keeps up with the validators on Bttc and Delivery, holds the same blocks
 * as validator 0, takes a transaction through its own RPC (ethers) that validator 0 then has a
 * receipt for, and never signs: no block of the chain is its own, its consensus engine signed no
 * proposal or vote, and it published no block. Its status says `role: "follower"`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import type { NodeStatus } from '../../src/node/interface.ts';
import { JsonRpcClient } from '../../src/loadtest/rpc.ts';
import { sleep, until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Clear of devnet.test.ts (21000–31102) and delivery-sync.test.ts (41000+), which may run alongside.
const BASE = 31200 + (process.pid % 500) * 16;
const PORTS = { rpc: BASE, rest: BASE + 5, root: BASE + 10, p2p: BASE + 11 };
const FOLLOWER = 4;

/** Sum of a counter's samples in a Prometheus text page (0 when it has none). */
function counterSum(page: string, name: string): number {
  let sum = 0;
  for (const line of page.split('\n')) if (line.startsWith(name + '{') || line.startsWith(name + ' ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

test('devnet with a follower: it keeps up, holds the same chain, forwards a transaction, and never signs', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-follower-'));
  const args = ['--validators', '4', '--followers', '1', ...devnetPortArgs(PORTS)];
  const devnet = new DevnetProcess(dir, args);
  const providers: JsonRpcProvider[] = [];
  try {
    const snap0 = await until('4 validators and a follower up at height ≥ 3', 120_000, () => {
      const s = devnet.snapshot();
      return s && s.nodes.length === 5 && s.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= 2) ? s : null;
    });
    assert.deepEqual(
      snap0.nodes.map((n) => n.role),
      ['validator', 'validator', 'validator', 'validator', 'follower'],
    );
    const rpc = (i: number) => new JsonRpcClient(snap0.nodes[i]!.rpcUrl, { timeoutMs: 3000 });
    const status = (i: number) => rpc(i).call<NodeStatus>('bttcnode_status');
    const fs = await status(FOLLOWER);
    assert.equal(fs.role, 'follower');
    assert.equal(fs.signer, null);
    assert.equal((await status(0)).role, 'validator');

    const p0 = new JsonRpcProvider(snap0.nodes[0]!.rpcUrl, undefined, { staticNetwork: true, polling: false });
    const pf = new JsonRpcProvider(snap0.nodes[FOLLOWER]!.rpcUrl, undefined, { staticNetwork: true, polling: false });
    providers.push(p0, pf);
    assert.equal((await pf.getNetwork()).chainId, 1337199n);

    // A transfer sent through the follower: gossiped to the validators, sealed, visible on validator 0.
    const keys = (JSON.parse(readFileSync(join(dir, 'loadtest-keys.json'), 'utf8')) as { keys: string[] }).keys;
    const alice = new Wallet(keys[0]!, pf);
    const bob = new Wallet(keys[1]!).address;
    const tx = await alice.sendTransaction({ to: bob, value: 12345n, gasPrice: 1_000_000_000n, gasLimit: 21000n });
    const rec0 = await until('the receipt on validator 0', 40_000, () => p0.getTransactionReceipt(tx.hash));
    assert.equal(rec0.status, 1);
    const recF = await until('the receipt on the follower', 20_000, () => pf.getTransactionReceipt(tx.hash));
    assert.equal(recF.blockHash, rec0.blockHash, 'the same block holds it on both');
    assert.equal(await p0.getBalance(bob, rec0.blockNumber), 10n ** 26n + 12345n);

    // Keeps up: a few samples over ~10 s, each within a few blocks of validator 0.
    for (let k = 0; k < 4; k++) {
      const [v, f] = await Promise.all([status(0), status(FOLLOWER)]);
      assert.ok(Math.abs(v.bttc.head - f.bttc.head) <= 3, `bttc heads: validator 0 ${v.bttc.head}, follower ${f.bttc.head}`);
      assert.ok(Math.abs(v.delivery.height - f.delivery.height) <= 5, `delivery heights: validator 0 ${v.delivery.height}, follower ${f.delivery.height}`);
      if (k < 3) await sleep(3000);
    }

    // The same chain: every block hash up to a common height agrees with validator 0.
    const common = Math.min(await p0.getBlockNumber(), await pf.getBlockNumber()) - 2;
    assert.ok(common >= 5, `common height ${common}`);
    for (let n = 1; n <= common; n++) assert.equal((await pf.getBlock(n))!.hash, (await p0.getBlock(n))!.hash, `block ${n}`);

    // Never an author: every block's signer is a genesis validator, and the follower sealed nothing.
    const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as { delivery: { validators: { signer: string }[] } };
    const validators = new Set(genesis.delivery.validators.map((v) => v.signer.toLowerCase()));
    const authors = new Set<string>();
    for (let n = 1; n <= common; n++) authors.add(((await pf.send('bor_getAuthor', ['0x' + n.toString(16)])) as string).toLowerCase());
    for (const a of authors) assert.ok(validators.has(a), `block author ${a} is a validator`);
    const fEnd = await status(FOLLOWER);
    assert.equal(fEnd.bttc.blocksSealed, 0);
    assert.equal(fEnd.delivery.lastSignedHeight, null);

    // Never a Delivery voter or proposer: its engine signed nothing, while validator 0's did.
    const metrics = async (i: number) => (await fetch(snap0.nodes[i]!.rpcUrl + '/metrics')).text();
    const [mf, m0] = await Promise.all([metrics(FOLLOWER), metrics(0)]);
    assert.equal(counterSum(mf, 'bttc_consensus_messages_signed_total'), 0, 'the follower signed no proposal or vote');
    assert.ok(counterSum(m0, 'bttc_consensus_messages_signed_total') > 0, 'validator 0 did');
    assert.ok(counterSum(mf, 'bttc_consensus_commits_total') + fEnd.delivery.syncedBlocks > 0, 'the follower followed Delivery');
    assert.equal(counterSum(mf, 'bttc_p2p_gossip_published_total{kind="bttc-block"}'), 0, 'it published no block');
    assert.ok(counterSum(mf, 'bttc_p2p_gossip_published_total{kind="bttc-tx"}') >= 1, 'it gossiped the transaction');
    // Its Bttc reads spans and state syncs from validator 0's Delivery REST (node.delivery.restUrl).
    assert.ok(counterSum(mf, 'bttc_delivery_rest_client_requests_total{path="bor/latest-span",outcome="200"}') > 0, 'the follower read spans over REST');
    // State syncs are read at sprint starts (the devnet's sprint is 16 blocks), once the run got that far.
    if (fEnd.bttc.head > 16) assert.ok(counterSum(mf, 'bttc_delivery_rest_client_requests_total{path="clerk/event-record/list",outcome="200"}') > 0, 'the follower read state syncs over REST');
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    for (const p of providers) p.destroy();
    await devnet.stopAndCheck();
  }
});
