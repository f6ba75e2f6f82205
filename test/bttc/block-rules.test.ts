/**
 * Bor's per-block genesis rules on a devnet-shaped chain, in blocks we build and blocks we import:
 * - `blockAlloc` at block 3 replaces code at the end of that block and nothing else (Bor's
 *   `changeContractCodeIfNeeded` sets only the code); the state root matches an independent trie
 *   computation, and a node without the rule refuses the block;
 * - `overrideStateSyncRecords` limits the records committed at a sprint start (1 at block 4, none at 8).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { Executor } from '../../src/evm/executor.ts';
import type { GenesisAccount } from '../../src/evm/interface.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { LevelStore } from '../../src/db/level.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { getArtifact } from '../../src/contracts/build.ts';
import { bytesToHex, equalBytes, hexToBytes } from '../../src/util/bytes.ts';
import { BttcLayer, type ImportResult, type NetworkBlock } from '../../src/bttc/layer.ts';
import type { BorBlockRules } from '../../src/bttc/genesis/bttc-genesis.ts';
import { allocStateRoot } from '../../src/bttc/genesis/genesis-block.ts';
import type { GenesisAlloc } from '../../src/bttc/genesis/geth-genesis.ts';
import { loadSystemContractsCode, systemContractsAlloc } from '../../src/bttc/system/genesis.ts';
import { decodeUint, LAST_STATE_ID } from '../../src/bttc/system/abi.ts';
import type { SpanRecord, StateSyncRecord } from '../../src/bttc/system/types.ts';
import { makeSigners } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

const cfg = loadConfig('devnet', { bttc: { chainId: 1337, period: 1, producerDelay: 1, backupMultiplier: 1, sprint: 4, spanLength: 8, firstSpanEnd: 7 } }).bttc;
const [producer] = makeSigners(1, 'rules-producer') as [ReturnType<typeof makeSigners>[0]];
const TARGET = hexToBytes('0x00000000000000000000000000000000000a0001');
/** A contract with balance and storage whose code block 3 replaces. */
const REPLACED = hexToBytes('0x00000000000000000000000000000000000a0002');
/** No account at genesis: block 3 creates it with code. */
const CREATED = hexToBytes('0x00000000000000000000000000000000000a0003');
const NEW_CODE = hexToBytes('0x600160005260206000f3'); // returns 1
const NEW_CODE_2 = hexToBytes('0x602a60005260206000f3'); // returns 42
const slot = (n: number) => hexToBytes(`0x${n.toString(16).padStart(64, '0')}`);

function span(id: number): SpanRecord {
  const start = id === 0 ? 0 : cfg.firstSpanEnd + 1 + (id - 1) * cfg.spanLength;
  const vals = [{ id: 1n, power: 1n, signer: producer.address }];
  return { id, startBlock: start, endBlock: id === 0 ? cfg.firstSpanEnd : cfg.firstSpanEnd + id * cfg.spanLength, validators: vals, producers: vals };
}

/** The same accounts as the executor's genesis, in the independent trie builder's shape. */
function toGenesisAlloc(list: [Uint8Array, GenesisAccount][]): GenesisAlloc {
  return new Map(
    list.map(([a, acc]) => [
      bytesToHex(a),
      { balance: acc.balance ?? 0n, nonce: acc.nonce ?? 0n, code: acc.code ?? new Uint8Array(0), storage: new Map((acc.storage ?? []).map(([k, v]) => [bytesToHex(k), v])) },
    ]),
  );
}

test("blockAlloc replaces code at exactly its block and overrideStateSyncRecords limits a sprint's records, in built and imported blocks", { timeout: 120_000 }, async (t) => {
  const base = tempDir(t, 'bttc-rules');
  const genesisTime = BigInt(Math.floor(Date.now() / 1000));
  const systemCode = await loadSystemContractsCode();
  const target = getArtifact('TestStateReceiverTarget');
  const spans = new Map([0, 1, 2, 3, 4].map((i) => [i, span(i)]));
  const records: StateSyncRecord[] = [1n, 2n, 3n].map((id) => ({
    id,
    time: genesisTime - 10n,
    contract: TARGET,
    data: Uint8Array.of(Number(id)),
    txHash: new Uint8Array(32),
    logIndex: id,
    chainId: String(cfg.chainId),
  }));
  const alloc: [Uint8Array, GenesisAccount][] = [
    [TARGET, { code: hexToBytes(target.deployedBytecode) }],
    [REPLACED, { balance: 5n, code: hexToBytes(target.deployedBytecode), storage: [[slot(3), Uint8Array.of(1)]] }],
  ];
  // The entry's balance and storage are ignored, as Bor ignores them: only code is set.
  const rules: BorBlockRules = {
    blockAlloc: new Map([
      [
        3n,
        toGenesisAlloc([
          [REPLACED, { balance: 999n, code: NEW_CODE, storage: [[slot(5), Uint8Array.of(7)]] }],
          [CREATED, { code: NEW_CODE_2 }],
        ]),
      ],
    ]),
    overrideStateSyncRecords: new Map([
      [4n, 1],
      [8n, 0],
    ]),
  };
  type Node = { name: string; layer: BttcLayer; executor: Executor; chain: ChainStore; dbs: LevelStore[]; results: ImportResult[] };
  const nodes: Node[] = [];
  const open = async (name: string, withRules: boolean, signer: typeof producer | null) => {
    const executor = await Executor.open({ chainId: cfg.chainId, dataDir: join(base, `exec-${name}`) });
    const dbs = [await LevelStore.open(join(base, `chain-${name}`)), await LevelStore.open(join(base, `layer-${name}`))];
    const chain = new ChainStore({}, { db: dbs[0]! });
    const node: Node = { name, executor, chain, dbs, results: [], layer: null as unknown as BttcLayer };
    nodes.push(node);
    node.layer = await BttcLayer.open(
      { bttc: cfg, genesis: { time: genesisTime, alloc, ...(withRules ? { bor: rules } : {}) }, systemCode, signer, buildBudgetMs: 300 },
      {
        executor,
        chain,
        db: dbs[1]!,
        verifier: new InlineVerifier(),
        spans: { spanById: (id) => spans.get(id) },
        stateSyncs: { recordsFrom: async (from, to) => records.filter((r) => r.id >= from && r.time < to) },
        broadcast: (b: NetworkBlock) =>
          setImmediate(() => {
            for (const n of nodes.slice(1)) void n.layer.importBlock(b).then((r) => n.results.push(r));
          }),
      },
    );
    return node;
  };
  try {
    const a = await open('producer', true, producer);
    const b = await open('follower', true, null);
    const c = await open('no-rules', false, null);
    a.layer.start();
    await until(
      () => `producer and follower at one head ≥ 12 (heads ${nodes.map((n) => n.chain.head().number).join(', ')})`,
      60_000,
      () => a.chain.head().number >= 12n && equalBytes(a.chain.head().hash, b.chain.head().hash),
      200,
    );
    a.layer.producer!.stop();
    assert.deepEqual(
      b.results.filter((r) => r.status === 'rejected' || r.status === 'unknown-parent'),
      [],
      'the follower with the rules imports every block',
    );

    const header = async (n: bigint) => (await a.chain.getHeaderByNumber(n))!;
    const [h2, h3, h4] = [await header(2n), await header(3n), await header(4n)];
    const genesisAlloc = toGenesisAlloc([...systemContractsAlloc({ validatorSet: cfg.validatorSetContract, stateReceiver: cfg.stateReceiverContract }, systemCode, span(0)), ...alloc]);
    // Blocks 1–3 carry no transactions and no system calls (the first sprint start is 4).
    assert.equal(bytesToHex(h2.stateRoot), bytesToHex(await allocStateRoot(genesisAlloc)), 'block 2: the genesis state');
    const after3 = toGenesisAlloc([
      ...systemContractsAlloc({ validatorSet: cfg.validatorSetContract, stateReceiver: cfg.stateReceiverContract }, systemCode, span(0)),
      [TARGET, alloc[0]![1]],
      [REPLACED, { ...alloc[1]![1], code: NEW_CODE }],
      [CREATED, { code: NEW_CODE_2 }],
    ]);
    assert.equal(bytesToHex(h3.stateRoot), bytesToHex(await allocStateRoot(after3)), 'block 3: only the code of 0x…a0002 replaced and 0x…a0003 created');

    for (const [h, code, created] of [
      [h2, hexToBytes(target.deployedBytecode), new Uint8Array(0)],
      [h3, NEW_CODE, NEW_CODE_2],
      [h4, NEW_CODE, NEW_CODE_2],
    ] as const) {
      assert.deepEqual(await a.executor.getCode(h.stateRoot, REPLACED), code, `code of 0x…a0002 at block ${h.number}`);
      assert.deepEqual(await a.executor.getCode(h.stateRoot, CREATED), created, `code of 0x…a0003 at block ${h.number}`);
      assert.equal((await a.executor.getAccount(h.stateRoot, REPLACED))?.balance, 5n);
      const word = async (n: number) => BigInt(bytesToHex(await a.executor.getStorage(h.stateRoot, REPLACED, slot(n))));
      assert.equal(await word(3), 1n, 'storage kept');
      assert.equal(await word(5), 0n, "the entry's storage is not written");
    }
    const called = await a.executor.call({ to: REPLACED }, { stateRoot: h3.stateRoot, number: 3n, time: h3.time, gasLimit: h3.gasLimit });
    assert.equal(decodeUint(called.returnValue), 1n, 'the new code runs');

    const lastStateId = async (n: bigint) => {
      const h = await header(n);
      return decodeUint(
        (await a.executor.call({ to: hexToBytes(cfg.stateReceiverContract), data: LAST_STATE_ID }, { stateRoot: h.stateRoot, number: n, time: h.time, gasLimit: h.gasLimit })).returnValue,
      );
    };
    assert.deepEqual(
      [await lastStateId(3n), await lastStateId(4n), await lastStateId(8n), await lastStateId(12n)],
      [0n, 1n, 1n, 3n],
      'three due records: 1 at block 4 (override 1), none at 8 (override 0), the rest at 12',
    );

    // A node without the rule computes another state root for block 3 and refuses it.
    const refused = c.results.find((r) => r.status === 'rejected');
    assert.ok(refused && refused.status === 'rejected' && refused.code === 'execution' && /block 3: stateRoot mismatch/.test(refused.reason), JSON.stringify(refused));
    assert.equal(c.chain.head().number, 2n);
  } finally {
    for (const n of nodes) {
      n.layer?.producer?.stop();
      await n.layer?.close();
      await n.executor.close();
      for (const d of n.dbs) await d.close().catch(() => {});
    }
  }
});
