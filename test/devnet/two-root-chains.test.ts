/**
 * Done means: `bttc-node devnet --root-chains 2` runs two embedded root chains as processes, the
 * first (Ethereum, id 2) the staking chain and the second standing for BSC (id 3), and one validator
 * (the fewest the devnet allows; ⌊2·1/3⌋+1 = 1 signature) configured with both. Checkpoints are
 * acked on both chains; each BSC checkpoint's sync record is submitted to the staking chain's
 * StakeManager and acked there (StakingInfo's CheckpointSyncAck), and Delivery mirrors the ack.
 * Nothing is doubled: header blocks and sync numbers follow each other on-chain, each synced record
 * is the BSC checkpoint it names, and every sync transaction the node sent is one ack.
 * The checkpoint length is not under test, so the devnet runs `--checkpoint-blocks 8` (~16 s of 2 s
 * blocks, not the preset's 32; more checkpoints and syncs for the "once" checks): about a minute on a
 * shared 2-core machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface, JsonRpcProvider, type Log } from 'ethers';
import { until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Below the kernel's ephemeral range (see root-outage.test.ts); clear of root-outage (2000–7600)
// and hostile-peer, telemetry (12000+).
const BASE = 9000 + (process.pid % 250) * 12;
const PORTS = { rpc: BASE, rest: BASE + 1, p2p: BASE + 2, root: BASE + 3 };

const rootChainAbi = new Interface(['event NewHeaderBlock(address indexed proposer, uint256 indexed headerBlockId, uint256 indexed reward, uint256 start, uint256 end, bytes32 root)']);
const stakingInfoAbi = new Interface(['event CheckpointSyncAck(address indexed proposer, uint256 indexed chainId, uint256 indexed checkpointId, uint256 start, uint256 end)']);

interface RootJson {
  rpcUrl: string;
  chainId: number;
  rootChainId: number;
  contracts: { rootChain: string; stakeManager: string; stakingInfo: string };
}

/** Sum of a metric's samples whose line starts with `prefix` (name, or name{labels…). */
function metricSum(page: string, prefix: string): number {
  let sum = 0;
  for (const line of page.split('\n')) if (line.startsWith(prefix)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

test('devnet --root-chains 2: checkpoints on both chains, BSC checkpoints synced to and acked on the staking chain, once', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-two-roots-'));
  const args = ['--validators', '1', '--root-chains', '2', '--checkpoint-blocks', '8', ...devnetPortArgs(PORTS)];
  const devnet = new DevnetProcess(dir, args);
  const providers: JsonRpcProvider[] = [];
  try {
    const snap0 = await until('the validator up, both root chains in the status', 120_000, () => {
      const s = devnet.snapshot();
      return s?.nodes[0]?.status && s.rootchains?.length === 2 ? s : null;
    });
    const [ethS, bscS] = snap0.rootchains!;
    assert.deepEqual([ethS!.id, ethS!.name, ethS!.staking, bscS!.id, bscS!.name, bscS!.staking], [2, 'ethereum', true, 3, 'bsc', false]);
    assert.equal(ethS!.rpcUrl, `http://127.0.0.1:${PORTS.root}`);
    assert.equal(bscS!.rpcUrl, `http://127.0.0.1:${PORTS.root + 1}`, 'the second root chain on the root port + 1');

    // Two root chain processes, each with its own chain ids; the node is configured with both.
    const eth = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as RootJson;
    const bsc = JSON.parse(readFileSync(join(dir, 'rootchain-bsc', 'rootchain.json'), 'utf8')) as RootJson;
    assert.deepEqual([eth.rootChainId, bsc.rootChainId], [2, 3]);
    assert.notEqual(eth.chainId, bsc.chainId);
    const nodeConfig = JSON.parse(readFileSync(join(dir, 'node-0', 'config.json'), 'utf8')) as {
      set: { rootChains: { id: number; rpcUrl: string; rootChain: string }[] };
      node: { rootChains: { id: number }[] };
    };
    assert.deepEqual(
      nodeConfig.set.rootChains.map((r) => [r.id, r.rpcUrl]),
      [
        [2, eth.rpcUrl],
        [3, bsc.rpcUrl],
      ],
    );
    assert.deepEqual(
      nodeConfig.node.rootChains.map((r) => r.id),
      [2, 3],
    );

    // A BSC checkpoint synced to the staking chain (the status reads StakeManager.getCurrentSyncedCheckpoint(3)).
    const synced = await until(
      () => `a BSC checkpoint synced to the staking chain (status: ${JSON.stringify(devnet.snapshot()?.rootchains)})`,
      210_000,
      () => {
        const r = devnet.snapshot()?.rootchains;
        return r && (r[0]!.checkpoints ?? 0) >= 1 && (r[1]!.synced ?? 0) >= 1 ? r : null;
      },
      1000,
    );
    assert.ok((synced[1]!.checkpoints ?? 0) >= (synced[1]!.synced ?? 0));
    const node = snap0.nodes[0]!;
    // Delivery mirrored the StakeManager's ack (the checkpoint module's gauge), and acked both chains' checkpoints.
    const page = await until('Delivery mirrored the sync ack', 60_000, async () => {
      const p = await (await fetch(node.rpcUrl + '/metrics')).text();
      return metricSum(p, 'bttc_delivery_checkpoint_synced_count{root_chain="3"}') >= 1 ? p : null;
    });
    assert.ok(metricSum(page, 'bttc_delivery_checkpoint_ack_count{root_chain="2"}') >= 1);
    assert.ok(metricSum(page, 'bttc_delivery_checkpoint_ack_count{root_chain="3"}') >= 1);

    // On-chain, nothing doubled. Header blocks follow each other on each RootChain, ranges contiguous from 0.
    // cacheTimeout -1: ethers shares identical calls for 250 ms, and the root chain seals a sent
    // transaction at once: a second send's nonce query would get the first one's answer.
    const ethP = new JsonRpcProvider(eth.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    const bscP = new JsonRpcProvider(bsc.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    providers.push(ethP, bscP);
    const headers = async (p: JsonRpcProvider, r: RootJson) => {
      const logs: Log[] = await p.getLogs({ address: r.contracts.rootChain, topics: [rootChainAbi.getEvent('NewHeaderBlock')!.topicHash], fromBlock: 0, toBlock: 'latest' });
      return logs.map((l) => rootChainAbi.parseLog(l)!.args);
    };
    const ethHeaders = await headers(ethP, eth);
    const bscHeaders = await headers(bscP, bsc);
    for (const [name, hs] of [
      ['ethereum', ethHeaders],
      ['bsc', bscHeaders],
    ] as const) {
      assert.ok(hs.length >= 1, `${name}: a checkpoint acked`);
      hs.forEach((h, k) => {
        assert.equal(h.headerBlockId, BigInt(k + 1) * 10000n, `${name}: header block ${k + 1} once, in order`);
        assert.equal(h.start, k === 0 ? 0n : hs[k - 1]!.end + 1n, `${name}: checkpoint ${k + 1} continues the range`);
      });
    }

    // Sync acks come from the staking chain's StakingInfo only, numbered 1, 2, … for BSC, each the BSC checkpoint it names.
    const ackTopic = stakingInfoAbi.getEvent('CheckpointSyncAck')!.topicHash;
    const acks = (await ethP.getLogs({ address: eth.contracts.stakingInfo, topics: [ackTopic], fromBlock: 0, toBlock: 'latest' })).map((l) => stakingInfoAbi.parseLog(l)!.args);
    assert.equal((await bscP.getLogs({ topics: [ackTopic], fromBlock: 0, toBlock: 'latest' })).length, 0, 'no sync record goes to BSC');
    assert.ok(acks.length >= 1);
    acks.forEach((a, k) => {
      assert.equal(a.chainId, 3n, 'only BSC checkpoints are synced: the staking chain needs none');
      assert.equal(a.checkpointId, BigInt(k + 1), `sync ${k + 1} once, in order`);
      const h = bscHeaders[k]!;
      assert.ok(h, `BSC checkpoint ${k + 1} exists`);
      assert.deepEqual([a.proposer.toLowerCase(), a.start, a.end], [h.proposer.toLowerCase(), h.start, h.end], `sync ${k + 1} is BSC checkpoint ${k + 1}`);
    });

    // Every sync transaction this (only) validator sent landed as one of those acks: no resubmission got through or was needed twice.
    // (A transaction sent just now may still be on its way to a block: give it a few root blocks.)
    const now = await (await fetch(node.rpcUrl + '/metrics')).text();
    const sent = metricSum(now, 'bttc_checkpoint_sync_submit_transactions_total');
    const submitted = metricSum(now, 'bttc_checkpoint_sync_submit_outcomes_total{root_chain="2",synced_chain="3",outcome="submitted"}');
    assert.ok(submitted >= 1 && sent >= submitted, `${sent} sync transaction(s) sent, ${submitted} submitted`);
    const ackedNow = await until(`${sent} sync transaction(s) acked`, 30_000, async () => {
      const n = (await ethP.getLogs({ address: eth.contracts.stakingInfo, topics: [ackTopic], fromBlock: 0, toBlock: 'latest' })).length;
      return n >= sent ? n : null;
    });
    assert.ok(sent <= ackedNow, `${sent} sync transaction(s) sent, ${ackedNow} acked`);
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    for (const p of providers) p.destroy();
    await devnet.stopAndCheck();
  }
});
