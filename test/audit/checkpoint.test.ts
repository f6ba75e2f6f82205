/**
 * `audit checkpoint` logic: Bttc blocks from a fake JSON-RPC, the header block from a RootChain (the
 * real contract on the embedded root chain behind our JSON-RPC server; a fake EVM RPC or TRON wallet
 * API where a test needs a particular header block). Match, a tampered block, the shared vector's
 * root, batching and concurrency (counted at the server), retries, and endpoints that cannot be used.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BttcRpcBlocks } from '../../src/audit/bttc-blocks.ts';
import { auditCheckpoint, parseHeaderBlockId } from '../../src/audit/checkpoint.ts';
import { HttpEndpoint } from '../../src/audit/http.ts';
import { AuditError, type HeaderBlock } from '../../src/audit/interface.ts';
import { JsonRpcEndpoint } from '../../src/audit/json-rpc.ts';
import { EvmRootChainReader, TronRootChainReader, mainnetRootChainAddress, parseRootChainAddress } from '../../src/audit/root-chain.ts';
import { checkpointRoot } from '../../src/merkle/checkpoint.ts';
import { checkpointSignBytes, signCheckpoint, type Checkpoint } from '../../src/protocol/checkpoint/checkpoint.ts';
import { submitCheckpointCalldata } from '../../src/protocol/checkpoint/calldata.ts';
import { evmToTronBase58 } from '../../src/root/tron-address.ts';
import { rootChainBackend } from '../../src/rootchain/backend.ts';
import { devnetGenesis } from '../../src/rootchain/genesis.ts';
import { RootChainNode } from '../../src/rootchain/node.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { registerEth } from '../../src/rpc/eth.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { keyFromSecret } from '../helpers/keys.ts';
import { vectors } from '../helpers/vectors.ts';
import { deadUrl, startFakeBttcRpc, startFakeEvmRootChain, startFakeRest, startFakeTronApi, syntheticBlock } from './fakes.ts';

const noSleep = { sleep: async () => {} };
const rpcAt = (url: string, flag: string, attempts = 3) => new JsonRpcEndpoint(new HttpEndpoint(url, { flag, attempts }, noSleep));
const BORCHAIN = 1337199;

function synthRoot(start: number, end: number): string {
  const headers = [];
  for (let n = start; n <= end; n++) {
    const b = syntheticBlock(n);
    headers.push({ number: n, timestamp: BigInt(b.timestamp as string), txRoot: hexToBytes(b.transactionsRoot as string), receiptsRoot: hexToBytes(b.receiptsRoot as string) });
  }
  return bytesToHex(checkpointRoot(headers));
}

const header = (id: bigint, start: number, end: number, root = synthRoot(start, end)): HeaderBlock => ({
  id,
  root,
  start: BigInt(start),
  end: BigInt(end),
  createdAt: 1_700_000_000n,
  proposer: '0x' + 'ab'.repeat(20),
});

describe('audit checkpoint against the RootChain contract (embedded root chain over JSON-RPC)', { timeout: 120_000 }, () => {
  let rootUrl = '';
  let rootChain = '';
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bttc-test-audit-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { json, signerKeys } = devnetGenesis({ validators: 4, borChainId: BORCHAIN });
    const node = await RootChainNode.open({ dataDir: dir, genesisJson: json, blockTimeMs: 0 });
    const registry = new MethodRegistry({});
    registerEth(registry, rootChainBackend(node));
    const server = new RpcServer({ host: '127.0.0.1', port: 0 }, { registry });
    rootUrl = (await server.start()).url;
    cleanups.push(async () => {
      await server.close();
      await node.close();
    });
    rootChain = node.info.contracts.rootChain;
    // Header block 10000 = Bttc blocks 0..63 of the synthetic chain, signed by 3 of 4.
    const signers = signerKeys.map((k) => ({ key: k, addr: keyFromSecret(k).addressHex }));
    const cp: Checkpoint = { proposer: signers[0]!.addr, start: 0, end: 63, rootHash: synthRoot(0, 63), accountRootHash: '0x' + '00'.repeat(32), borChainId: BORCHAIN, epoch: 1 };
    const calldata = submitCheckpointCalldata(
      checkpointSignBytes(cp),
      signers.slice(0, 3).map((s) => ({ signer: s.addr, signature: signCheckpoint(cp, s.key) })),
    );
    const raw = signLegacyTx({ nonce: 0, gasPrice: 1, gasLimit: 2_000_000, to: hexToBytes(rootChain), data: calldata }, json.chainId as number, signers[0]!.key);
    const sealed = node.nextBlock();
    await node.sendRawTransaction(raw);
    await sealed;
  });

  it('matches when the Bttc RPC serves the blocks the checkpoint was built from', async () => {
    const bttc = await startFakeBttcRpc({ chainId: BORCHAIN });
    cleanups.push(() => bttc.close());
    const root = new EvmRootChainReader(rpcAt(rootUrl, '--root-rpc'), rootChain, 'ethereum');
    const r = await auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc'), { batchSize: 16 }) });
    assert.deepEqual(r, { headerBlock: 10000, start: 0, end: 63, root: synthRoot(0, 63), recomputed: synthRoot(0, 63), match: true });
    assert.equal(await root.currentHeaderBlock(), 10000n);
    assert.equal(await root.bttcChainId(), BigInt(BORCHAIN));
  });

  it("does not match when one block's receiptsRoot is tampered with", async () => {
    const bttc = await startFakeBttcRpc({ chainId: BORCHAIN });
    cleanups.push(() => bttc.close());
    bttc.tamper.set(17, { receiptsRoot: '0x' + '99'.repeat(32) });
    const root = new EvmRootChainReader(rpcAt(rootUrl, '--root-rpc'), rootChain, 'ethereum');
    const r = await auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) });
    assert.equal(r.match, false);
    assert.equal(r.root, synthRoot(0, 63));
    assert.notEqual(r.recomputed, r.root);
  });

  it('names what is wrong: an id not yet submitted, another network, no RootChain at the address', async () => {
    const bttc = await startFakeBttcRpc({ chainId: 199 });
    cleanups.push(() => bttc.close());
    const root = new EvmRootChainReader(rpcAt(rootUrl, '--root-rpc'), rootChain, 'ethereum');
    await assert.rejects(
      auditCheckpoint({ headerBlock: 20000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) }),
      (e: Error) => e instanceof AuditError && /no header block 20000 \(the latest is 10000\)/.test(e.message),
    );
    await assert.rejects(
      auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) }),
      (e: Error) => e instanceof AuditError && e.message.includes(`takes checkpoints of Bttc chain ${BORCHAIN}, but --bttc-rpc ${bttc.url} serves chain 199`),
    );
    const nowhere = new EvmRootChainReader(rpcAt(rootUrl, '--root-rpc'), '0x' + '12'.repeat(20), 'ethereum');
    await assert.rejects(nowhere.headerBlock(10000n), /the call returned nothing: no contract at this address/);
  });
});

describe('audit checkpoint: fetching, batching, retries', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });
  async function fakes(headers: HeaderBlock[], bttcOpts: Parameters<typeof startFakeBttcRpc>[0] = {}) {
    const bttc = await startFakeBttcRpc(bttcOpts);
    const root = await startFakeEvmRootChain({ headers });
    cleanups.push(bttc.close, root.close);
    return { bttc, root: new EvmRootChainReader(rpcAt(root.url, '--root-rpc'), '0x' + '98'.repeat(20), 'ethereum') };
  }

  it("recomputes the shared vector's root for blocks 1..3", async () => {
    const leaves = vectors.checkpointLeaves.slice(0, 3);
    const vroot = vectors.checkpointRoots.find((r) => r.blocks?.join() === '1,2,3')!.root;
    const block = (n: number) => {
      const l = leaves.find((x) => x.number === n)!;
      return { number: '0x' + n.toString(16), timestamp: '0x' + l.timestamp.toString(16), transactionsRoot: l.txRoot, receiptsRoot: l.receiptsRoot };
    };
    const { bttc, root } = await fakes([header(10000n, 1, 3, vroot)], { head: 3, block });
    const r = await auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) });
    assert.equal(r.recomputed, vroot);
    assert.equal(r.match, true);
  });

  it('batches: 1024 blocks in 11 requests of ≤ 100 calls, at most 3 in flight, progress to the end', async () => {
    const { bttc, root } = await fakes([header(10000n, 0, 1023)], { delayMs: 20 });
    const progress: number[] = [];
    const r = await auditCheckpoint(
      {
        headerBlock: 10000n,
        onProgress: (done, total) => {
          assert.equal(total, 1024);
          progress.push(done);
        },
      },
      { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc'), { batchSize: 100, concurrency: 3 }) },
    );
    assert.equal(r.match, true);
    assert.deepEqual(
      bttc.batches.sort((a, b) => a - b),
      [24, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
    );
    assert.equal(bttc.requests, 12, 'eth_chainId + 11 batches');
    assert.equal(bttc.calls, 1025);
    assert.ok(bttc.maxInFlight <= 3 && bttc.maxInFlight >= 2, `in flight: ${bttc.maxInFlight}`);
    assert.equal(progress.length, 11);
    assert.equal(progress.at(-1), 1024);
  });

  it('retries HTTP 503s and rate-limited calls, and halves batches a server refuses whole', async () => {
    const { bttc, root } = await fakes([header(10000n, 0, 255)]);
    bttc.fail503 = 2;
    bttc.rateLimit = 7;
    bttc.batchCap = 40;
    const r = await auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc', 5), { batchSize: 128, concurrency: 2 }) });
    assert.equal(r.match, true);
    assert.ok(bttc.batches.includes(128) && bttc.batches.includes(32), `batches ${bttc.batches}`);
    assert.ok(
      bttc.batches.every((n) => n <= 40 || n === 128 || n === 64),
      `batches ${bttc.batches}`,
    );
    assert.equal(bttc.fail503, 0);
    assert.equal(bttc.rateLimit, 0);
  });

  it('gives up on an endpoint that stays down, naming it; a missing block and a non-JSON-RPC answer too', async () => {
    const dead = await deadUrl();
    const { bttc, root } = await fakes([header(10000n, 0, 63)], { head: 40 });
    await assert.rejects(
      auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(dead, '--bttc-rpc')) }),
      (e: Error) => e instanceof AuditError && e.message === `--bttc-rpc ${dead}: cannot connect: ECONNREFUSED (3 attempts)`,
    );
    const deadRoot = new EvmRootChainReader(rpcAt(dead, '--root-rpc'), '0x' + '98'.repeat(20), 'ethereum');
    await assert.rejects(
      auditCheckpoint({ headerBlock: 10000n }, { root: deadRoot, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) }),
      (e: Error) => e instanceof AuditError && e.message.startsWith(`--root-rpc ${dead}: cannot connect`),
    );
    await assert.rejects(
      auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) }),
      (e: Error) => e instanceof AuditError && e.message === `--bttc-rpc ${bttc.url} has no Bttc block 41 (not produced yet, or not served by this node)`,
    );
    const rest = await startFakeRest(new Map());
    cleanups.push(rest.close);
    await assert.rejects(
      auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(rest.url, '--bttc-rpc')) }),
      /--bttc-rpc http:\/\/127\.0\.0\.1:\d+: not a JSON-RPC endpoint \(HTTP 404: \{"error":"no such path: \/"\}\)/,
    );
    bttc.tamper.set(5, { number: '0x6' });
    bttc.head = 100;
    await assert.rejects(auditCheckpoint({ headerBlock: 10000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) }), /answered block 6 when asked for block 5/);
  });

  it('header block ids are positive multiples of 10000', () => {
    assert.equal(parseHeaderBlockId('10000'), 10000n);
    assert.equal(parseHeaderBlockId('6130000'), 6130000n);
    for (const bad of ['0', '10001', '5000', '-10000', '1e4', 'x'])
      assert.throws(
        () => parseHeaderBlockId(bad),
        (e: Error) => e instanceof AuditError && /^--header-block: /.test(e.message),
        bad,
      );
  });
});

describe('audit checkpoint on TRON (wallet HTTP API)', () => {
  it('reads headerBlocks through triggerconstantcontract; mainnet address from the preset; base58 accepted', async () => {
    const address = mainnetRootChainAddress('tron')!;
    assert.equal(address, '0x8330108cfdd47544b398c15a3c252ad1d5a5566c');
    assert.equal(mainnetRootChainAddress('ethereum'), '0x98dfb360cbc65045a8415fa2514f549cd3000f02');
    assert.equal(mainnetRootChainAddress('bsc'), null);
    assert.equal(parseRootChainAddress('tron', evmToTronBase58(address)), address);
    assert.equal(parseRootChainAddress('tron', '418330108CFDD47544B398C15A3C252AD1D5A5566C'), address);
    assert.throws(() => parseRootChainAddress('bsc', 'T123'), /--root-chain-address: expected a 0x-prefixed 20-byte address for bsc/);

    const tron = await startFakeTronApi({ address: '41' + address.slice(2), headers: [header(10000n, 0, 99), header(20000n, 100, 299)] });
    const bttc = await startFakeBttcRpc();
    after(() => Promise.all([tron.close(), bttc.close()]));
    const http = new HttpEndpoint(tron.url + '/', { flag: '--root-rpc', headers: { 'TRON-PRO-API-KEY': 'k-123' } }, noSleep);
    const root = new TronRootChainReader(http, address);
    const r = await auditCheckpoint({ headerBlock: 20000n }, { root, bttc: new BttcRpcBlocks(rpcAt(bttc.url, '--bttc-rpc')) });
    assert.deepEqual([r.start, r.end, r.match], [100, 299, true]);
    const call = tron.calls.find((c) => c.body.function_selector === 'headerBlocks(uint256)')!;
    assert.equal(call.path, '/wallet/triggerconstantcontract');
    assert.equal(call.body.contract_address, '418330108cfdd47544b398c15a3c252ad1d5a5566c');
    assert.equal(call.body.parameter, (20000).toString(16).padStart(64, '0'));
    assert.equal(call.headers['tron-pro-api-key'], 'k-123');
    assert.equal(await root.currentHeaderBlock(), 20000n);

    const elsewhere = new TronRootChainReader(http, '0x' + '77'.repeat(20));
    await assert.rejects(elsewhere.headerBlock(10000n), (e: Error) => e instanceof AuditError && /headerBlocks\(\) failed: Smart contract is not exist\./.test(e.message));
  });
});
