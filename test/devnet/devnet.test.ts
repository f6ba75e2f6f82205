/**
 * Done means: `bttc-node devnet` with 4 validators as real processes. Blocks every ~2 s; an ERC-20
 * deployed and used through ethers on one node's RPC and seen on the others; a checkpoint acked on
 * the root chain (RootChain.currentHeaderBlock); one validator SIGKILLed and the chain goes on with
 * backups sealing its sprint; the devnet restarts it, it syncs to the head and seals blocks again.
 * Then the live audits from the public endpoints: `audit checkpoint` recomputes the acked header
 * block from node 0's RPC (match, exit 0) and through a proxy that tampers one block's receiptsRoot
 * (mismatch, exit 1); `audit span` checks span 1 on node 0's REST once that REST is BTTC-shaped.
 * Takes about 4–5 minutes on a shared 2-core machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, Wallet } from 'ethers';
import { loadTokenArtifact } from '../../src/loadtest/token.ts';
import { until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs, runBin } from '../helpers/devnet.ts';

const BASE = 21000 + (process.pid % 1000) * 10;
const PORTS = { rpc: BASE, rest: BASE + 4, p2p: BASE + 100, root: BASE + 9 };
const RESTART_DELAY_S = 40;

/** `bttc-node …` without blocking this process (the tampering proxy answers from here). */
const runCli = (args: string[]) => runBin(args);

/**
 * A JSON-RPC proxy to `target` that rewrites the receiptsRoot of block `block` in every
 * eth_getBlockByNumber answer (single or batched): a node lying about one block.
 */
async function startTamperingProxy(target: string, block: number): Promise<{ url: string; tampered: () => number; close: () => Promise<void> }> {
  let tampered = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      void (async () => {
        const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        let text = await upstream.text();
        try {
          type Msg = { id?: unknown; method?: string; params?: unknown[]; result?: Record<string, unknown> | null };
          const asks = [JSON.parse(body) as Msg | Msg[]].flat();
          const answer = JSON.parse(text) as Msg | Msg[];
          for (const a of [answer].flat()) {
            const ask = asks.find((q) => q.id === a.id);
            if (ask?.method === 'eth_getBlockByNumber' && Number(BigInt(ask.params![0] as string)) === block && a.result) {
              a.result.receiptsRoot = '0x' + 'ee'.repeat(32);
              tampered++;
            }
          }
          text = JSON.stringify(answer);
        } catch {
          /* not JSON-RPC: passed through as is */
        }
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
      })().catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tampered: () => tampered,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test('devnet: 4 validator processes, 2 s blocks, ERC-20 across nodes, checkpoint acked, a validator killed and back', { timeout: 360_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-devnet-'));
  const args = ['--validators', '4', ...devnetPortArgs(PORTS), '--restart-delay', String(RESTART_DELAY_S)];
  const devnet = new DevnetProcess(dir, args);
  const providers: JsonRpcProvider[] = [];
  try {
    const snap0 = await until('4 validators up at height ≥ 3', 120_000, () => {
      const s = devnet.snapshot();
      return s?.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= 2) ? s : null;
    });
    for (let i = 0; i < 4; i++) providers.push(new JsonRpcProvider(snap0.nodes[i]!.rpcUrl, undefined, { staticNetwork: true, polling: false }));
    const [p0] = providers as [JsonRpcProvider];
    assert.equal((await p0.getNetwork()).chainId, 1337199n);

    // ERC-20 deployed and used on node 0, seen on nodes 1..3.
    const keys = (JSON.parse(readFileSync(join(dir, 'loadtest-keys.json'), 'utf8')) as { keys: string[] }).keys;
    const alice = new Wallet(keys[0]!, p0);
    const bob = new Wallet(keys[1]!).address;
    const art = await loadTokenArtifact();
    const factory = new ContractFactory(art.abi as never, art.bytecode, alice);
    const token = await factory.deploy([alice.address], 1000n, { gasPrice: 1_000_000_000n });
    await token.waitForDeployment();
    const tokenAddr = await token.getAddress();
    const tx = await (token as Contract).getFunction('transfer')(bob, 250n, { gasPrice: 1_000_000_000n });
    const rec = await tx.wait();
    assert.equal(rec!.status, 1);
    for (const p of providers.slice(1)) {
      const t = new Contract(tokenAddr, art.abi as never, p);
      await until(`the transfer on ${p._getConnection().url}`, 30_000, async () => (await p.getTransactionReceipt(tx.hash))?.status === 1);
      assert.equal(await t.getFunction('balanceOf')(bob), 250n);
      assert.equal(await t.getFunction('balanceOf')(alice.address), 750n);
    }

    // Blocks every ~2 s (header times; Bor's period is 2 s, a producer switch may add a delay).
    const head = await p0.getBlockNumber();
    const times: number[] = [];
    for (let n = 1; n <= head; n++) times.push((await p0.getBlock(n))!.timestamp);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(
      gaps.every((g) => g >= 2),
      `every gap ≥ the 2 s period: ${gaps}`,
    );
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    assert.equal(median, 2, `median gap ${median}: ${gaps}`);

    // Kill the producer of the current sprint: its sprint must be finished by the backups.
    const s1 = devnet.snapshot()!;
    const victimSigner = s1.nodes[0]!.status!.bttc.headProducer!;
    const victim = s1.nodes.find((n) => n.status?.signer === victimSigner)!;
    const killedAt = Date.now();
    const headAtKill = s1.nodes[0]!.status!.bttc.head;
    process.kill(victim.pid!, 'SIGKILL');
    const witness = providers[(victim.index + 1) % 4]!;
    // status.json is rewritten every few seconds, so the victim may have sealed blocks after headAtKill
    // and before the kill. A block is released at its slot time (its header time), so only blocks
    // stamped after the kill say who seals now.
    const killedSec = Math.floor(killedAt / 1000);
    let firstAfter = headAtKill + 1;
    await until('10 blocks stamped after the kill', 90_000, async () => {
      const top = await witness.getBlockNumber();
      while (firstAfter <= top && (await witness.getBlock(firstAfter))!.timestamp <= killedSec + 1) firstAfter++;
      return top >= firstAfter + 9;
    });
    let backups = 0;
    let checked = 0;
    for (let n = firstAfter; n <= firstAfter + 9; n++) {
      const b = (await witness.getBlock(n))!;
      // From RESTART_DELAY_S on the devnet has brought the victim back, and it may seal again.
      if (b.timestamp >= killedSec + RESTART_DELAY_S) break;
      checked++;
      const author = (await witness.send('bor_getAuthor', ['0x' + n.toString(16)])) as string;
      assert.notEqual(author.toLowerCase(), victimSigner, `block ${n} sealed by the killed validator`);
      if (b.difficulty < 4n) backups++;
    }
    assert.ok(checked >= 5, `only ${checked} blocks were sealed before the victim could be restarted`);
    assert.ok(backups > 0, 'a backup producer (difficulty < 4) sealed in the killed validator’s place');

    // Checkpoint acked on the root chain (3 of 4 signatures are enough: ⌊4·2/3⌋+1 = 3).
    const rootInfo = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as { rpcUrl: string; contracts: { rootChain: string } };
    // cacheTimeout -1: ethers shares identical calls for 250 ms, and the root chain seals a sent
    // transaction at once: a second send's nonce query would get the first one's answer.
    const root = new JsonRpcProvider(rootInfo.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    providers.push(root);
    const rootChain = new Contract(rootInfo.contracts.rootChain, ['function currentHeaderBlock() view returns (uint256)', 'function getLastChildBlock() view returns (uint256)'], root);
    await until('a checkpoint on the root chain', 150_000, async () => (await rootChain.getFunction('currentHeaderBlock')()) >= 10000n);
    const lastChild = (await rootChain.getFunction('getLastChildBlock')()) as bigint;
    assert.ok(lastChild >= 31n, `checkpoint covers blocks to ${lastChild}`);
    await until('the ack in Delivery', 60_000, () => devnet.snapshot()?.nodes.some((n) => (n.status?.delivery.checkpointsAcked ?? 0) >= 1));

    // The devnet restarts the killed validator; it syncs and seals again.
    await until('the killed validator restarted', RESTART_DELAY_S * 1000 + 90_000, () => {
      const n = devnet.snapshot()?.nodes[victim.index];
      return n && n.restarts >= 1 && n.status ? n : null;
    });
    assert.ok(Date.now() - killedAt >= RESTART_DELAY_S * 1000);
    const synced = await until('the restarted validator at the head', 60_000, () => {
      const s = devnet.snapshot();
      if (!s) return null;
      const heads = s.nodes.map((n) => n.status?.bttc.head ?? -1);
      const me = heads[victim.index]!;
      return me > headAtKill + 10 && Math.max(...heads) - me <= 2 ? s : null;
    });
    assert.ok(synced.nodes[victim.index]!.status!.delivery.height > 0);
    const fromBlock = synced.nodes[victim.index]!.status!.bttc.head;
    // Its next sprint comes within 4 sprints (4 × 16 blocks × 2 s).
    await until('a block sealed by the restarted validator', 150_000, async () => {
      const n = await witness.getBlockNumber();
      for (let k = Math.max(fromBlock + 1, n - 5); k <= n; k++) {
        const author = ((await witness.send('bor_getAuthor', ['0x' + k.toString(16)])) as string).toLowerCase();
        if (author === victimSigner) return true;
      }
      return false;
    });

    // Audit checkpoint 10000 from the public endpoints: node 0's blocks give the root the RootChain holds.
    const auditArgs = ['audit', 'checkpoint', '--root-rpc', rootInfo.rpcUrl, '--root-chain', 'ethereum', '--root-chain-address', rootInfo.contracts.rootChain, '--header-block', '10000'];
    const audited = await runCli([...auditArgs, '--bttc-rpc', snap0.nodes[0]!.rpcUrl]);
    assert.equal(audited.code, 0, `audit checkpoint: ${audited.stderr}`);
    const cpAudit = JSON.parse(audited.stdout) as { headerBlock: number; start: number; end: number; root: string; recomputed: string; match: boolean };
    assert.deepEqual([cpAudit.headerBlock, cpAudit.start, cpAudit.match], [10000, 0, true]);
    assert.equal(cpAudit.recomputed, cpAudit.root);
    assert.ok(cpAudit.end >= 31);
    // The same through a node that lies about one block's receiptsRoot: mismatch, exit 1.
    const liar = await startTamperingProxy(snap0.nodes[0]!.rpcUrl, cpAudit.start + 1);
    try {
      const caught = await runCli([...auditArgs, '--bttc-rpc', liar.url]);
      assert.equal(caught.code, 1, `audit checkpoint through the tampering proxy: ${caught.stderr}`);
      const bad = JSON.parse(caught.stdout) as { root: string; recomputed: string; match: boolean };
      assert.equal(bad.match, false);
      assert.equal(bad.root, cpAudit.root);
      assert.notEqual(bad.recomputed, cpAudit.root);
      assert.equal(liar.tampered(), 1);
    } finally {
      await liar.close();
    }

    // Audit span 1 from node 0's REST. Our REST answers BTTC's span JSON ("span_id", "validator_set",
    // "selected_producers") once the REST work lands; until then this part is skipped, and says so.
    const restUrl = `http://127.0.0.1:${PORTS.rest}`;
    const span1 = await until("span 1 on node 0's REST", 60_000, async () => {
      const res = await fetch(`${restUrl}/bor/span/1`).catch(() => null);
      return res?.ok ? ((await res.json()) as { result?: Record<string, unknown> }) : null;
    });
    const bttcShaped = span1.result !== undefined && 'span_id' in span1.result && 'selected_producers' in span1.result;
    await t.test("audit span 1 against node 0's REST", { skip: bttcShaped ? false : "node 0's REST does not serve BTTC's span JSON yet" }, async () => {
      // The devnet seeds span k with block k of its root chain (BTTC: Ethereum block k); 4 validators
      // for 11 producer slots means no draw, so the seed is read but not needed.
      const r = await runCli(['audit', 'span', '--delivery-rest', restUrl, '--span', '1', '--producer-count', '11', '--root-rpc', rootInfo.rpcUrl]);
      assert.equal(r.code, 0, `audit span: ${r.stderr}`);
      const spanAudit = JSON.parse(r.stdout) as { span: number; seed: string; producers: unknown[]; match: boolean };
      assert.equal(spanAudit.span, 1);
      assert.equal(spanAudit.match, true);
      assert.equal(spanAudit.producers.length, 4);
    });
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    for (const p of providers) p.destroy();
    await devnet.stopAndCheck();
  }
});
