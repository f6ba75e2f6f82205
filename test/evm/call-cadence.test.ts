/**
 * Block import keeps its cadence while clients hammer eth_call with infinite loops — with real
 * threads: the node's executor worker imports a block produced elsewhere every ~200 ms while a
 * client posts JSON-RPC batches of 8 calls of `JUMPDEST PUSH1 0 JUMP` back to back over HTTP. Every
 * import must finish within IMPORT_BOUND_MS, and every looping call must get geth's timeout error
 * within evmTimeout plus some slack.
 *
 * On the old wiring (eth_call in the executor's queue; run with CALL_PATH=executor to see it) a
 * batch holds the executor for 8 × the loop's run to the gas cap, so imports take seconds and the
 * calls end in "out of gas" instead of a timeout: this test fails there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Executor } from '../../src/evm/executor.ts';
import { createExecutor, CallService, type GenesisSpec, type HeaderFields } from '../../src/evm/index.ts';
import { hashHeader } from '../../src/evm/block.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { LevelStore } from '../../src/db/level.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { registerEth } from '../../src/rpc/eth.ts';
import { rpcCallBackend } from '../../src/rpc/call-backend.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { tempDir, testAccounts } from './helpers.ts';

const CHAIN_ID = 1029;
const OLD_PATH = process.env.CALL_PATH === 'executor';
const EVM_TIMEOUT_MS = 1000;
const GAS_CAP = 50_000_000n;
const BLOCK_MS = 200;
const RUN_MS = 6000;
/** Far above an import of a small block (tens of ms) even on a loaded machine; the old path takes seconds. */
const IMPORT_BOUND_MS = 750;
const CALL_SLACK_MS = 700;
const LOOP = hexToBytes('0x5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b');
const accounts = testAccounts(4, 31);
const author = testAccounts(1, 96)[0]!.address;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`import keeps its ${BLOCK_MS} ms cadence while batches of 8 looping eth_calls run (${OLD_PATH ? 'OLD path: calls in the executor' : 'call workers'})`, async (t) => {
  const spec: GenesisSpec = {
    gasLimit: 30_000_000n,
    time: 1000n,
    alloc: [...accounts.map((a) => [a.address, { balance: 10n ** 22n }] as [Uint8Array, { balance: bigint }]), [LOOP, { code: hexToBytes('0x5b600056') }]],
  };
  const dProd = tempDir('cad-prod');
  const dNode = tempDir('cad-node');
  const dChain = tempDir('cad-chain');
  // The producer stands for the rest of the network; the node imports what it makes.
  const producer = await Executor.open({ chainId: CHAIN_ID, dataDir: dProd.path });
  const node = await createExecutor({ mode: 'worker', chainId: CHAIN_ID, dataDir: dNode.path });
  const genesis = await node.initGenesis(spec);
  await producer.initGenesis(spec);
  const chain = new ChainStore({}, { db: await LevelStore.open(dChain.path) });
  await chain.init(genesis);
  const calls = await CallService.start({ chainId: CHAIN_ID, workers: 1, gasCap: GAS_CAP, evmTimeoutMs: EVM_TIMEOUT_MS }, { host: node });
  const registry = new MethodRegistry();
  const reads = { getAccount: node.getAccount.bind(node), getCode: node.getCode.bind(node), getStorage: node.getStorage.bind(node) };
  registerEth(registry, {
    chainId: BigInt(CHAIN_ID),
    chain,
    executor: OLD_PATH ? node : { ...rpcCallBackend(calls), ...reads },
    txSink: { sendRawTransaction: async () => new Uint8Array(32) },
    gasPrice: () => 1n,
    rpcGasCap: GAS_CAP,
  });
  const server = new RpcServer({ port: 0 }, { registry });
  const { url } = await server.start();

  const imports: number[] = [];
  const callResults: { ms: number; code?: number; message?: string }[] = [];
  let running = true;
  try {
    const importer = (async () => {
      let parent: HeaderFields = genesis;
      const nonces = [0, 0, 0, 0];
      for (let n = 1n; running; n++) {
        const started = performance.now();
        const from = Number(n % 4n);
        const txs = [signLegacyTx({ nonce: nonces[from]!++, gasPrice: 1n, gasLimit: 21_000n, to: accounts[(from + 1) % 4]!.address, value: 1n }, CHAIN_ID, accounts[from]!.key)];
        const senders = [accounts[from]!.address];
        const parentRef = { hash: hashHeader(parent), number: parent.number, stateRoot: parent.stateRoot };
        const built = await producer.buildBlock({ parent: parentRef, header: { number: n, time: parent.time + 1n, gasLimit: 30_000_000n }, author, txs, senders, budgetMs: 1000 });
        const t0 = performance.now();
        const res = await node.executeBlock({ parent: parentRef, header: built.header, txs, senders, author });
        await chain.putBlock({ header: built.header, txs, senders, receipts: res.receipts }, { setHead: true });
        imports.push(performance.now() - t0);
        parent = built.header;
        await sleep(Math.max(0, BLOCK_MS - (performance.now() - started)));
      }
    })();
    const client = (async () => {
      const end = performance.now() + RUN_MS;
      while (performance.now() < end) {
        const body = JSON.stringify(Array.from({ length: 8 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_call', params: [{ to: bytesToHex(LOOP) }, 'latest'] })));
        const t0 = performance.now();
        const res = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { error?: { code: number; message: string } }[];
        const ms = performance.now() - t0;
        for (const r of res) callResults.push({ ms, code: r.error?.code, message: r.error?.message });
      }
    })();
    await client;
    running = false;
    await importer;
  } finally {
    running = false;
    await server.close();
    await calls.close();
    await chain.close();
    await node.close();
    await producer.close();
    for (const d of [dProd, dNode, dChain]) d.cleanup();
  }

  const maxImport = Math.max(...imports);
  const maxCall = Math.max(...callResults.map((r) => r.ms));
  t.diagnostic(
    `${imports.length} imports in ${RUN_MS} ms, slowest ${maxImport.toFixed(0)} ms, median ${imports.toSorted((a, b) => a - b)[imports.length >> 1]!.toFixed(0)} ms; ${callResults.length} looping calls, slowest batch ${maxCall.toFixed(0)} ms, errors: ${[...new Set(callResults.map((r) => `${r.code} ${r.message}`))].join(' | ')}`,
  );
  assert.ok(imports.length >= (RUN_MS / BLOCK_MS) * 0.5, `imports kept their cadence: ${imports.length} in ${RUN_MS} ms`);
  assert.ok(maxImport < IMPORT_BOUND_MS, `every import within ${IMPORT_BOUND_MS} ms (slowest ${maxImport.toFixed(0)} ms)`);
  assert.ok(callResults.length >= 16);
  for (const r of callResults) {
    assert.equal(r.message, `execution aborted (timeout = ${EVM_TIMEOUT_MS / 1000}s)`);
    assert.equal(r.code, -32000);
    assert.ok(r.ms < EVM_TIMEOUT_MS + CALL_SLACK_MS, `a looping call answered in ${r.ms.toFixed(0)} ms`);
  }
});
