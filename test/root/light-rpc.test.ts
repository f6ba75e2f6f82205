/**
 * LightRpc (the watcher's polling reads) against the embedded root chain over real JSON-RPC: the
 * same head and the same logs, field for field, as ethers' provider gives for the same range; a
 * JSON-RPC error, a non-JSON-RPC server and a closed port are errors naming the method and URL.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, Wallet } from 'ethers';
import { devKey, devnetGenesis } from '../../src/rootchain/genesis.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { EvmRootChainClient } from '../../src/root/evm-client.ts';
import { LightRpc, LightRpcError } from '../../src/root/light-rpc.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { serveRootChain } from '../helpers/root-chain-rpc.ts';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('LightRpc', { timeout: 120_000 }, () => {
  it('reads the head and the logs exactly as ethers does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'light-rpc-'));
    dirs.push(dir);
    const { json } = devnetGenesis({ validators: 2 });
    const { node, url } = await serveRootChain(join(dir, 'chain'), json, cleanups);
    const c = node.info.contracts;
    const client = await EvmRootChainClient.connect({ rpcUrl: url, rootChainId: 2, contracts: c });
    cleanups.push(() => client.close());
    const deployer = new Wallet(bytesToHex(devKey('deployer')), client.provider);
    const btt = new Contract(c.bttToken, loadArtifacts().BttToken!.abi as never, deployer);
    // Three blocks with Transfer logs (mint emits one each), to two recipients.
    for (const who of ['a 1', 'a 2', 'a 1']) {
      const to = new Wallet(bytesToHex(devKey(who))).address;
      await (await btt.getFunction('mint')(to, 10n ** 18n, { type: 0, gasPrice: 1_000_000_000n })).wait();
    }
    const rpc = new LightRpc(url, 5000);
    cleanups.push(async () => rpc.close());
    const head = await rpc.blockNumber();
    assert.equal(head, await client.provider.getBlockNumber());
    const addresses = [c.bttToken, c.stakingInfo, c.stateSender];
    const ours = await rpc.getLogs(0, head, addresses);
    const theirs = (await client.provider.getLogs({ fromBlock: 0, toBlock: head, address: addresses })).map((l) => ({
      address: l.address.toLowerCase(),
      topics: [...l.topics],
      data: l.data,
      blockNumber: l.blockNumber,
      logIndex: l.index,
      txHash: l.transactionHash,
    }));
    assert.ok(ours.length >= 3, `expected the mints' logs, got ${ours.length}`);
    assert.deepEqual(ours, theirs);
    // The client the watcher uses answers through LightRpc with the same logs.
    assert.deepEqual(await client.getLogs(0, head, addresses), ours);
    assert.deepEqual(await rpc.getLogs(head + 1, head + 1, addresses), []);
  });

  it('a JSON-RPC error, a foreign HTTP answer and a closed port name the method and URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'light-rpc-err-'));
    dirs.push(dir);
    const { url } = await serveRootChain(join(dir, 'chain'), devnetGenesis({ validators: 2 }).json, cleanups);
    const rpc = new LightRpc(url, 5000);
    cleanups.push(async () => rpc.close());
    await assert.rejects(rpc.call('eth_noSuchMethod', []), (e: Error) => e instanceof LightRpcError && /eth_noSuchMethod/.test(e.message) && e.message.includes(new URL(url).origin));

    const web = createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const port = (web.address() as { port: number }).port;
    const foreign = new LightRpc(`http://127.0.0.1:${port}/`, 5000);
    await assert.rejects(foreign.blockNumber(), (e: Error) => e instanceof LightRpcError && /eth_blockNumber: HTTP 404/.test(e.message));
    foreign.close();
    await new Promise<void>((r) => web.close(() => r()));
    const closed = new LightRpc(`http://127.0.0.1:${port}/`, 5000);
    await assert.rejects(closed.blockNumber(), (e: Error) => e instanceof LightRpcError && /eth_blockNumber/.test(e.message));
    closed.close();
    assert.throws(() => new LightRpc('ws://127.0.0.1:1/', 1000), /unsupported protocol ws:/);
  });
});
