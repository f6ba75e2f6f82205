/**
 * Done means: `bttc-node devnet` with 4 validators as real processes survives its root chain
 * being unreachable for 3 minutes (the process SIGSTOPped, so requests hang rather than fail: the
 * harder case). The outage is timed so that the next span's proposal falls due inside it.
 * Throughout the outage Delivery keeps committing and Bttc keeps its 2 s blocks; the node status
 * says the span proposal waits for the root chain. Afterwards the span is committed, a second
 * StateSender.syncState reaches Bttc, checkpoints resume, and nothing is doubled or missed: the
 * root chain's checkpoints are contiguous and match Delivery's ack count, and a recording target
 * contract on Bttc received state-sync records 1 and 2 exactly once each, in order. The outage is
 * about spans and the root chain, not the checkpoint length, so the devnet runs `--checkpoint-blocks
 * 8` (~16 s of 2 s blocks, not the preset's 32): checkpoints fall due before, during and after the
 * outage, and the one past it comes soon. Takes about 4–5 minutes on a shared 2-core machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, Wallet } from 'ethers';
import { getArtifact } from '../../src/contracts/build.ts';
import { loadConfig } from '../../src/config/load.ts';
import { spanBounds } from '../../src/protocol/span/span.ts';
import { stateReceiverInterface } from '../../src/bttc/system/abi.ts';
import type { DevnetSnapshot } from '../../src/devnet/supervisor.ts';
import { sleep, until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Below the kernel's ephemeral range (32768–60999 here), where outgoing connections of other tests
// take ports at random: a fixed base up there failed CI once with "port already in use".
// Clear of two-root-chains (9000+), hostile-peer and telemetry (12000+) and devnet.test.ts (21000+).
const BASE = 2000 + (process.pid % 400) * 14;
const PORTS = { rpc: BASE, rest: BASE + 4, root: BASE + 8, p2p: BASE + 9 };
const OUTAGE_MS = 180_000;
const SAMPLE_MS = 5000;
const STATE_RECEIVER = '0x0000000000000000000000000000000000001001';
const SPANS = loadConfig('devnet').bttc;

interface Sample {
  at: number;
  delivery: number[];
  bttc: number[];
  waiting: { what: string; reason: string }[];
}

function sample(s: DevnetSnapshot): Sample {
  const up = s.nodes.filter((n) => n.status);
  return {
    at: Date.now(),
    delivery: up.map((n) => n.status!.delivery.height),
    bttc: up.map((n) => n.status!.bttc.head),
    waiting: up.flatMap((n) => n.status!.delivery.waiting ?? []),
  };
}

test('devnet: the root chain stopped for 3 minutes; Delivery and Bttc go on, spans, checkpoints and state syncs resume exactly once', { timeout: 720_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-outage-'));
  const args = ['--validators', '4', '--checkpoint-blocks', '8', ...devnetPortArgs(PORTS)];
  const devnet = new DevnetProcess(dir, args);
  const providers: JsonRpcProvider[] = [];
  let stoppedPid: number | null = null;
  try {
    const snap0 = await until('4 validators up at height ≥ 3', 150_000, () => {
      const s = devnet.snapshot();
      return s?.rootchain.pid && s.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= 2) ? s : null;
    });
    const rootPid = snap0.rootchain.pid!;
    const bttc = new JsonRpcProvider(snap0.nodes[0]!.rpcUrl, undefined, { staticNetwork: true, polling: false });
    const rootInfo = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as { rpcUrl: string; contracts: { rootChain: string; stateSender: string } };
    // cacheTimeout -1: ethers shares identical calls for 250 ms, and the root chain seals a sent
    // transaction at once: a second send's nonce query would get the first one's answer.
    const root = new JsonRpcProvider(rootInfo.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    providers.push(bttc, root);
    const restUrl = snap0.nodes[0]!.status!.restUrl;

    // On Bttc, a target that counts what it receives: each record must arrive exactly once.
    const targetArt = getArtifact('TestStateReceiverTarget');
    const keys = (JSON.parse(readFileSync(join(dir, 'loadtest-keys.json'), 'utf8')) as { keys: string[] }).keys;
    const deployed = await new ContractFactory(targetArt.abi as never, targetArt.bytecode, new Wallet(keys[0]!, bttc)).deploy({ gasPrice: 1_000_000_000n });
    await deployed.waitForDeployment();
    const RECEIVER = await deployed.getAddress();
    const target = new Contract(RECEIVER, targetArt.abi as never, bttc);
    const received = async () => ({
      count: (await target.getFunction('count')()) as bigint,
      lastId: (await target.getFunction('lastId')()) as bigint,
      lastData: (await target.getFunction('lastData')()) as string,
    });

    // The root chain's deployer owns StateSender: it registers itself as the sender for RECEIVER.
    const deployerKey = (JSON.parse(readFileSync(join(dir, 'root-genesis.json'), 'utf8')) as { deployerKey: string }).deployerKey;
    const deployer = new Wallet(deployerKey, root);
    const stateSender = new Contract(
      rootInfo.contracts.stateSender,
      ['function register(address sender, address receiver)', 'function syncState(address receiver, bytes data)', 'function counter() view returns (uint256)'],
      deployer,
    );
    const gasPrice = BigInt((await root.send('eth_gasPrice', [])) as string);
    const send = async (fn: string, fnArgs: unknown[]) => {
      const tx = await stateSender.getFunction(fn)(...fnArgs, { gasPrice, type: 0 });
      const rec = await until(`${fn} mined on the root chain`, 30_000, () => root.getTransactionReceipt(tx.hash));
      assert.equal(rec.status, 1, `${fn} succeeded`);
    };
    await send('register', [deployer.address, RECEIVER]);
    await send('syncState', [RECEIVER, '0x01']);
    await until('state-sync record 1 in Delivery', 60_000, async () => (await fetch(`${restUrl}/clerk/event-record/1`)).status === 200);

    // Start the outage shortly before Bttc enters the latest span: that is when the next span is
    // proposed (and its seed read from the root chain), so the proposal falls due inside the outage.
    const gate = await until(
      'a span proposal due within the next 80 blocks',
      600_000,
      () => {
        const st = devnet.snapshot()?.nodes[0]?.status;
        if (!st) return null;
        const last = st.delivery.lastSpanId ?? 1;
        const start = spanBounds(last, SPANS).start;
        return st.bttc.head >= start - 80 && st.bttc.head < start - 4 ? { last, start, head: st.bttc.head } : null;
      },
      1000,
    );
    const acksBefore = (await new Contract(rootInfo.contracts.rootChain, ['function currentHeaderBlock() view returns (uint256)'], root).getFunction('currentHeaderBlock')()) as bigint;

    process.kill(rootPid, 'SIGSTOP');
    stoppedPid = rootPid;
    const outageStart = Date.now();
    const samples: Sample[] = [];
    while (Date.now() - outageStart < OUTAGE_MS) {
      await sleep(SAMPLE_MS);
      const s = devnet.snapshot();
      if (s) samples.push(sample(s));
    }
    process.kill(rootPid, 'SIGCONT');
    stoppedPid = null;
    const outageEnd = Date.now();

    // Delivery committed throughout: its height rose in every 15 s window of the outage.
    const top = (x: Sample) => Math.max(...x.delivery);
    assert.ok(samples.length >= OUTAGE_MS / SAMPLE_MS - 4, `only ${samples.length} status samples during the outage`);
    for (let i = 0; i + 3 < samples.length; i++) {
      const a = samples[i]!;
      const b = samples[i + 3]!;
      assert.ok(top(b) > top(a), `Delivery height stuck at ${top(a)} from ${(a.at - outageStart) / 1000} s to ${(b.at - outageStart) / 1000} s into the outage`);
    }
    const lastSample = samples[samples.length - 1]!;
    assert.ok(Math.max(...lastSample.bttc) >= gate.start + 4, `Bttc reached the span start ${gate.start} during the outage (head ${Math.max(...lastSample.bttc)})`);
    // The status said what waited and why.
    const nextSpan = gate.last + 1;
    const waits = samples.flatMap((x) => x.waiting);
    assert.ok(
      waits.some((w) => w.what.includes(`span ${nextSpan}`) && /root chain/.test(w.reason)),
      `a status named span ${nextSpan} waiting for the root chain: ${JSON.stringify(waits.slice(-4))}`,
    );

    // After the outage: the span is committed and nothing waits any more.
    await until(
      `span ${nextSpan} committed and no waits`,
      90_000,
      () => {
        const s = devnet.snapshot();
        return s?.nodes.every((n) => n.status && (n.status.delivery.lastSpanId ?? 0) >= nextSpan && (n.status.delivery.waiting ?? []).length === 0);
      },
      1000,
    );

    // The record sent before the outage reached Bttc once; one sent after it follows it, once.
    await until('state-sync record 1 at the target on Bttc', 120_000, async () => (await received()).count >= 1n, 1000);
    assert.deepEqual(await received(), { count: 1n, lastId: 1n, lastData: '0x01' });
    await send('syncState', [RECEIVER, '0x02']);
    const receiver = new Contract(STATE_RECEIVER, stateReceiverInterface, bttc);
    await until('state-sync record 2 committed on Bttc', 180_000, async () => ((await receiver.getFunction('lastStateId')()) as bigint) >= 2n, 1000);

    // Checkpoints resume: at least one new checkpoint on the root chain after the outage.
    const rootChain = new Contract(
      rootInfo.contracts.rootChain,
      ['function currentHeaderBlock() view returns (uint256)', 'function headerBlocks(uint256) view returns (bytes32 root, uint256 start, uint256 end, uint256 createdAt, address proposer)'],
      root,
    );
    const headAtEnd = await bttc.getBlockNumber();
    await until(
      'a checkpoint past the outage on the root chain',
      240_000,
      async () => {
        const id = (await rootChain.getFunction('currentHeaderBlock')()) as bigint;
        if (id <= acksBefore) return false;
        const h = (await rootChain.getFunction('headerBlocks')(id)) as { end: bigint };
        return h.end >= BigInt(headAtEnd) - 64n;
      },
      1000,
    );
    // Checkpoints go on every ~16 s: Delivery's ack count must meet the root chain's count as it stands
    // when read (re-read on each try), and the contiguity check covers every checkpoint up to it.
    let count = 0;
    await until(
      () => `Delivery's ack count at the root chain's ${count}`,
      60_000,
      async () => {
        count = Number(((await rootChain.getFunction('currentHeaderBlock')()) as bigint) / 10000n);
        return devnet.snapshot()?.nodes.every((n) => n.status?.delivery.checkpointsAcked === count);
      },
    );
    let expectedStart = 0n;
    for (let k = 1; k <= count; k++) {
      const h = (await rootChain.getFunction('headerBlocks')(BigInt(k) * 10000n)) as { start: bigint; end: bigint };
      assert.equal(h.start, expectedStart, `checkpoint ${k} starts where checkpoint ${k - 1} ended`);
      assert.ok(h.end >= h.start);
      expectedStart = h.end + 1n;
    }

    // Bttc committed each record exactly once, in order; Delivery holds exactly those two.
    const bttcHead = await bttc.getBlockNumber();
    assert.deepEqual(await received(), { count: 2n, lastId: 2n, lastData: '0x02' }, 'records 1 and 2 reached the target once each');
    assert.equal((await receiver.getFunction('lastStateId')()) as bigint, 2n);
    assert.equal((await fetch(`${restUrl}/clerk/event-record/2`)).status, 200);
    // Delivery answers an unknown record with 400 and its keeper error (its REST is BTTC-exact).
    const third = await fetch(`${restUrl}/clerk/event-record/3`);
    assert.equal(third.status, 400, 'no third record in Delivery');
    assert.match(await third.text(), /No record found/);

    // Bttc never stopped: 2 s blocks across the outage, no gap longer than a few seconds.
    const from = Math.max(1, gate.head - 5);
    const times: number[] = [];
    for (let n = from; n <= bttcHead; n++) times.push((await bttc.getBlock(n))!.timestamp);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    assert.equal(median, 2, `median block interval ${median}: ${gaps}`);
    assert.ok(Math.max(...gaps) <= 8, `a Bttc gap of ${Math.max(...gaps)} s: ${gaps}`);
    const stampedDuring = times.filter((t) => t * 1000 >= outageStart && t * 1000 <= outageEnd).length;
    assert.ok(stampedDuring >= (OUTAGE_MS / 2000) * 0.8, `only ${stampedDuring} Bttc blocks stamped during the ${OUTAGE_MS / 1000} s outage`);
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    if (stoppedPid !== null) process.kill(stoppedPid, 'SIGCONT');
    for (const p of providers) p.destroy();
    await devnet.stopAndCheck();
  }
});
