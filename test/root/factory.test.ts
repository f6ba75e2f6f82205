/**
 * The root-chain client factory and the span seed over real HTTP on loopback: a TRON entry gets the
 * TRON client (wallet API), an EVM entry the ethers client (JSON-RPC); both answer `blockHash`, which
 * the span seed reads. The TRON side is a fake full node (test/root/fake-tron-node.ts): no TRON node
 * is reachable from here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/load.ts';
import type { RootChainConfig } from '../../src/config/types.ts';
import { connectRootChain, RootChainSetupError } from '../../src/root/factory.ts';
import { TronRootChainClient } from '../../src/root/tron-client.ts';
import { EvmRootChainClient } from '../../src/root/evm-client.ts';
import { rootSpanSeed } from '../../src/node/adapters.ts';
import { SeedUnreachableError } from '../../src/delivery/modules/span/seed.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { startFakeTronNode, tronBlockId, type FakeTronNode } from './fake-tron-node.ts';

const logger = silentLogger();
const PK = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const settings = { privateKey: null, tronMaxFeeLimitSun: 1_000_000_000n };

/** The mainnet preset's TRON entry (its real contract addresses) pointed at `url`. */
function tronEntry(url: string | null): RootChainConfig {
  const rc = loadConfig('mainnet').rootChains.find((c) => c.kind === 'tron')!;
  return { ...rc, rpcUrl: url };
}

describe('root chain factory: TRON', () => {
  let tron: FakeTronNode;
  before(async () => {
    tron = await startFakeTronNode({ head: 500 });
  });
  after(() => tron.close());

  it('a tron entry gets the TRON client, probed once, read-only without a key', async () => {
    tron.calls.length = 0;
    const c = await connectRootChain(tronEntry(tron.url), 'rootChains[0]', settings, { logger });
    assert.ok(c instanceof TronRootChainClient);
    assert.equal(c.kind, 'tron');
    assert.equal(c.rootChainId, 1);
    assert.equal(c.contracts.rootChain, '0x8330108cfdd47544b398c15a3c252ad1d5a5566c');
    assert.equal(c.contracts.stakingInfo, '0x20078df1672790b2963e8c4e5e527dd1225c3430');
    assert.equal(c.address, null, 'no key: read-only');
    assert.deepEqual(
      tron.calls.map((x) => x.path),
      ['/wallet/getnowblock'],
      'probed with one head request',
    );
    assert.equal(await c.blockNumber(), 500);
    assert.equal(await c.blockHash(42), '0x' + tronBlockId(42));
    assert.equal(await c.blockHash(0), '0x' + tronBlockId(0));
    assert.equal(await c.blockHash(501), null);
    assert.equal(await c.currentHeaderBlock(), 0n);
    assert.deepEqual(await c.getLogs(10, 12, [c.contracts.rootChain]), []);
    assert.deepEqual(
      tron.calls.filter((x) => x.path === '/wallet/gettransactioninfobyblocknum').map((x) => x.body.num),
      [10, 11, 12],
    );
    await c.close();
  });

  it('node.tron.apiKey goes to TronGrid as the TRON-PRO-API-KEY header, and only when set', async () => {
    tron.calls.length = 0;
    const c = await connectRootChain(tronEntry(tron.url), 'rootChains[0]', { ...settings, tronApiKey: 'key-123' }, { logger });
    await c.blockNumber();
    assert.ok(tron.calls.length >= 2);
    for (const call of tron.calls) assert.equal(call.headers['tron-pro-api-key'], 'key-123', `${call.path} without the key`);
    await c.close();
    tron.calls.length = 0;
    const keyless = await connectRootChain(tronEntry(tron.url), 'rootChains[0]', settings, { logger });
    assert.equal(tron.calls[0]!.headers['tron-pro-api-key'], undefined);
    await keyless.close();
  });

  it('with the signer key it can sign, and node.tron.maxFeeLimitSun caps the fee limit', async () => {
    const c = (await connectRootChain(tronEntry(tron.url), 'rootChains[0]', { privateKey: PK, tronMaxFeeLimitSun: 7_000_000n }, { logger })) as TronRootChainClient;
    assert.equal(c.address, '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
    const header = { ref_block_bytes: '1a2b', ref_block_hash: '0011223344556677', expiration: 1_700_000_060_000, timestamp: 1_700_000_000_000 };
    const tx = await c.buildCheckpointTx(hexToBytes('0x4e43e495'), 10n ** 12n, header);
    assert.equal(tx.raw_data.fee_limit, 7_000_000);
  });

  it('the span seed of span k is the blockID of TRON block #k; null past the head; a node that fails is named', async () => {
    const c = await connectRootChain(tronEntry(tron.url), 'rootChains[0]', settings, { logger });
    const seed = rootSpanSeed(c, null);
    assert.equal(bytesToHex((await seed(3))!), '0x' + tronBlockId(3));
    assert.equal(await seed(10_000), null);
    assert.equal(await rootSpanSeed(null, null)(3), null, 'no seed chain');
    const down = await startFakeTronNode({ head: 5 });
    const c2 = await connectRootChain(tronEntry(down.url), 'rootChains[0]', settings, { logger });
    await down.close();
    // The span module turns this into a wait (a proposer skips the span, a voter abstains) and shows why.
    await assert.rejects(rootSpanSeed(c2, null)(3), (e: Error) => e instanceof SeedUnreachableError && e.chain === 'root chain 1', 'an unreachable node is named');
  });

  it('missing pieces and an unreachable node are named', async () => {
    await assert.rejects(
      connectRootChain(tronEntry(null), 'rootChains[0]', settings, { logger }),
      (e: Error) => e instanceof RootChainSetupError && /rootChains\[0\]\.rpcUrl \(tron\) is not set/.test(e.message),
    );
    await assert.rejects(connectRootChain({ ...tronEntry(tron.url), stateSender: null }, 'rootChains[1]', settings, { logger }), /rootChains\[1\]\.stateSender \(tron\) is not set/);
    // Staking events come from StakingInfo: without its address no stake change would ever be seen.
    await assert.rejects(connectRootChain({ ...tronEntry(tron.url), stakingInfo: null }, 'rootChains[0]', settings, { logger }), /rootChains\[0\]\.stakingInfo \(tron\) is not set/);
    const gone = await startFakeTronNode();
    const url = gone.url;
    await gone.close();
    await assert.rejects(
      connectRootChain(tronEntry(url), 'rootChains[0]', settings, { logger }),
      (e: Error) => e instanceof RootChainSetupError && e.message.includes(`rootChains[0] (tron): cannot reach ${url}`),
    );
  });
});

describe('root chain factory: EVM', () => {
  let server: Server;
  let url = '';
  const hash = '0x' + 'ab'.repeat(32);
  before(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        const r = JSON.parse(raw) as { id: number; method: string; params: unknown[] };
        let result: unknown = null;
        if (r.method === 'eth_chainId') result = '0x539';
        else if (r.method === 'eth_blockNumber') result = '0x10';
        else if (r.method === 'eth_getBlockByNumber') {
          const n = Number(BigInt(r.params[0] as string));
          result =
            n > 16
              ? null
              : {
                  hash,
                  parentHash: '0x' + '00'.repeat(32),
                  number: '0x' + n.toString(16),
                  timestamp: '0x1',
                  nonce: '0x0000000000000000',
                  difficulty: '0x1',
                  gasLimit: '0x1c9c380',
                  gasUsed: '0x0',
                  miner: '0x' + '00'.repeat(20),
                  extraData: '0x',
                  transactions: [],
                  stateRoot: '0x' + '00'.repeat(32),
                  receiptsRoot: '0x' + '00'.repeat(32),
                };
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: r.id, result }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('an evm entry gets the ethers client; blockHash is the block hash', async () => {
    const rc = { ...loadConfig('mainnet').rootChains.find((c) => c.kind === 'evm')!, rpcUrl: url };
    const c = await connectRootChain(rc, 'rootChains[1]', settings, { logger });
    assert.ok(c instanceof EvmRootChainClient);
    assert.equal(c.kind, 'evm');
    assert.equal((c as EvmRootChainClient).chainId, 1337);
    assert.equal((c as EvmRootChainClient).wallet, null, 'no key: read-only');
    assert.equal(await c.blockHash(3), hash);
    assert.equal(await c.blockHash(17), null);
    assert.equal(bytesToHex((await rootSpanSeed(c, null)(3))!), hash);
    await c.close();
  });
});
