/**
 * A real short run: two producers, each with its own executor (src/evm), chain store, txpool and
 * verifier, connected by direct calls as the gossip layer would. Transfers go in through one node's
 * pool; both nodes execute every block (the follower re-derives the sprint-start system calls), and
 * the chain commits span 1 and 2 and a state sync on the way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Interface } from 'ethers';
import { loadConfig } from '../../src/config/load.ts';
import { Executor } from '../../src/evm/executor.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { LevelStore } from '../../src/db/level.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { getArtifact } from '../../src/contracts/build.ts';
import { bytesToHex, equalBytes, hexToBytes } from '../../src/util/bytes.ts';
import { BttcLayer, type ImportResult, type NetworkBlock } from '../../src/bttc/layer.ts';
import { loadSystemContractsCode } from '../../src/bttc/system/genesis.ts';
import { decodeCurrentSpan, decodeUint, GET_CURRENT_SPAN, LAST_STATE_ID } from '../../src/bttc/system/abi.ts';
import { recoverSignerUncached } from '../../src/bttc/engine/seal.ts';
import { headerHash as headerHashOf } from '../../src/bttc/engine/header.ts';
import type { SpanRecord, StateSyncRecord } from '../../src/bttc/system/types.ts';
import { makeSigners, signTx } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';
import { TxIntake } from '../../src/node/txIntake.ts';
import { until } from '../helpers/until.ts';

const cfg = loadConfig('devnet', { bttc: { chainId: 1337, period: 1, producerDelay: 1, backupMultiplier: 1, sprint: 4, spanLength: 8, firstSpanEnd: 7 } }).bttc;
const producers = makeSigners(2, 'layer-producer');
const users = makeSigners(4, 'layer-user');
const TARGET = hexToBytes('0x00000000000000000000000000000000000a0001');
const RECIPIENT = hexToBytes('0x000000000000000000000000000000000000beef');

function span(id: number): SpanRecord {
  const start = id === 0 ? 0 : cfg.firstSpanEnd + 1 + (id - 1) * cfg.spanLength;
  const end = id === 0 ? cfg.firstSpanEnd : cfg.firstSpanEnd + id * cfg.spanLength;
  const vals = producers.map((p, i) => ({ id: BigInt(i + 1), power: 1n, signer: p.address }));
  return { id, startBlock: start, endBlock: end, validators: vals, producers: vals };
}

test('two producers: transfers, blocks executed by both, spans and a state sync committed at sprint starts', { timeout: 120_000 }, async (t) => {
  const base = tempDir(t, 'bttc-layer');
  const genesisTime = BigInt(Math.floor(Date.now() / 1000));
  const systemCode = await loadSystemContractsCode();
  const target = getArtifact('TestStateReceiverTarget');
  const spans = new Map([0, 1, 2, 3, 4].map((i) => [i, span(i)]));
  const record: StateSyncRecord = { id: 1n, time: genesisTime - 10n, contract: TARGET, data: Uint8Array.of(7), txHash: new Uint8Array(32), logIndex: 0n, chainId: String(cfg.chainId) };
  const nodes: { layer: BttcLayer; executor: Executor; chain: ChainStore; dbs: LevelStore[]; results: ImportResult[] }[] = [];
  try {
    for (const [i, p] of producers.entries()) {
      const executor = await Executor.open({ chainId: cfg.chainId, dataDir: join(base, `exec-${i}`) });
      const chainDb = await LevelStore.open(join(base, `chain-${i}`));
      const layerDb = await LevelStore.open(join(base, `layer-${i}`));
      const chain = new ChainStore({}, { db: chainDb });
      const results: ImportResult[] = [];
      const layer = await BttcLayer.open(
        {
          bttc: cfg,
          genesis: {
            time: genesisTime,
            alloc: [...users.map((u) => [u.address, { balance: 10n ** 21n }] as [Uint8Array, { balance: bigint }]), [TARGET, { code: hexToBytes(target.deployedBytecode) }]],
          },
          systemCode,
          signer: p,
          buildBudgetMs: 300,
        },
        {
          executor,
          chain,
          db: layerDb,
          verifier: new InlineVerifier(),
          spans: { spanById: (id) => spans.get(id) },
          stateSyncs: { recordsFrom: async (from, to) => [record].filter((r) => r.id >= from && r.time < to) },
          broadcast: (b: NetworkBlock) => setImmediate(() => void nodes[1 - i]!.layer.importBlock(b).then((r) => nodes[1 - i]!.results.push(r))),
        },
      );
      nodes.push({ layer, executor, chain, dbs: [chainDb, layerDb], results });
    }
    assert.ok(equalBytes(nodes[0]!.chain.genesisHash(), nodes[1]!.chain.genesisHash()), 'same genesis on both nodes');
    const txs = users.flatMap((u) => [0n, 1n, 2n].map((nonce) => signTx({ nonce, gasPrice: 1_000_000_000n, to: RECIPIENT, value: 1000n + nonce, chainId: BigInt(cfg.chainId) }, u.key)));
    const added = await nodes[0]!.layer.addTransactions(txs);
    assert.ok(
      added.every((r) => r.ok),
      JSON.stringify(added.filter((r) => !r.ok)),
    );
    for (const n of nodes) n.layer.start();

    await until(
      () => `both nodes at one head ≥ 13 (heads ${nodes.map((n) => n.chain.head().number).join(', ')})`,
      60_000,
      () => {
        const [a, b] = nodes.map((n) => n.chain.head());
        return a!.number >= 13n && equalBytes(a!.hash, b!.hash);
      },
      200,
    );
    for (const n of nodes) n.layer.producer!.stop();
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const head = a.chain.head();
    assert.ok(head.number >= 13n, `reached block ${head.number}`);
    assert.equal(bytesToHex(b.chain.head().hash), bytesToHex(head.hash), 'both nodes on the same head');
    for (const n of nodes)
      assert.deepEqual(
        n.results.filter((r) => r.status === 'rejected' || r.status === 'unknown-parent'),
        [],
        'no import failures',
      );

    const recipient = await a.executor.getAccount(head.header.stateRoot, RECIPIENT);
    assert.equal(recipient?.balance, 4n * (1000n + 1001n + 1002n), 'every transfer included');
    assert.equal(a.layer.txpool.size, 0, 'pool drained by inclusion');
    const call = async (to: Uint8Array, data: Uint8Array) =>
      (await a.executor.call({ to, data }, { stateRoot: head.header.stateRoot, number: head.number, time: head.header.time, gasLimit: head.header.gasLimit })).returnValue;
    assert.equal(decodeUint(await call(hexToBytes(cfg.stateReceiverContract), LAST_STATE_ID)), 1n);
    const iface = new Interface(target.abi as never);
    assert.equal(iface.decodeFunctionResult('count', await call(TARGET, hexToBytes(iface.encodeFunctionData('count', []))))[0], 1n, 'state sync delivered to its receiver');
    assert.equal(decodeCurrentSpan(await call(hexToBytes(cfg.validatorSetContract), GET_CURRENT_SPAN)).id, 2n, 'spans 1 and 2 committed at blocks 4 and 12');
    // Both producers sealed blocks, each in its own sprints.
    const signersSeen = new Set<string>();
    for (let n = 1n; n <= head.number; n++) signersSeen.add(bytesToHex(recoverSignerUncached((await a.chain.getHeaderByNumber(n))!)));
    assert.equal(signersSeen.size, 2);
  } finally {
    for (const n of nodes) {
      await n.layer.close();
      await n.executor.close();
      await n.chain.close().catch(() => {});
      for (const d of n.dbs) await d.close().catch(() => {});
    }
  }
});

test('import: a heavier branch arriving second reorganises the chain and returns the dropped transactions to the pool', { timeout: 60_000 }, async (t) => {
  const base = tempDir(t, 'bttc-reorg');
  const genesisTime = BigInt(Math.floor(Date.now() / 1000)) - 100n;
  const systemCode = await loadSystemContractsCode();
  const spans = new Map([0, 1].map((i) => [i, span(i)]));
  const open = async (name: string) => {
    const executor = await Executor.open({ chainId: cfg.chainId, dataDir: join(base, `exec-${name}`) });
    const dbs = [await LevelStore.open(join(base, `chain-${name}`)), await LevelStore.open(join(base, `layer-${name}`))];
    const chain = new ChainStore({}, { db: dbs[0]! });
    const layer = await BttcLayer.open(
      { bttc: cfg, genesis: { time: genesisTime, alloc: users.map((u) => [u.address, { balance: 10n ** 21n }] as [Uint8Array, { balance: bigint }]) }, systemCode, signer: null },
      { executor, chain, db: dbs[1]!, verifier: new InlineVerifier(), spans: { spanById: (id) => spans.get(id) }, stateSyncs: { recordsFrom: async () => [] } },
    );
    return { executor, chain, dbs, layer };
  };
  const maker = await open('maker');
  const follower = await open('follower');
  try {
    const { sealHeader } = await import('../../src/bttc/engine/seal.ts');
    const { buildExtra } = await import('../../src/bttc/engine/extra.ts');
    const genesis = maker.chain.head();
    // producers[0] has the lower address: in turn at genesis (difficulty 2); producers[1] is the backup.
    const [inTurn, backup] = Buffer.compare(producers[0]!.address, producers[1]!.address) < 0 ? [producers[0]!, producers[1]!] : [producers[1]!, producers[0]!];
    const tx = signTx({ nonce: 0n, gasPrice: 1_000_000_000n, to: RECIPIENT, value: 5n, chainId: BigInt(cfg.chainId) }, users[0]!.key);
    const build = async (signer: typeof inTurn, difficulty: bigint, delay: bigint, txs: Uint8Array[]) => {
      const r = await maker.executor.buildBlock({
        parent: { hash: genesis.hash, number: 0n, stateRoot: genesis.header.stateRoot },
        header: {
          number: 1n,
          time: genesis.header.time + delay,
          gasLimit: genesis.header.gasLimit + genesis.header.gasLimit / 1024n - 1n,
          difficulty,
          coinbase: new Uint8Array(20),
          extra: buildExtra(new Uint8Array(32), null),
        },
        author: signer.address,
        txs,
        senders: txs.map(() => users[0]!.address),
        budgetMs: 1000,
      });
      return { header: sealHeader(r.header, signer.key), txs: r.included.map((i) => txs[i]!) };
    };
    const light = await build(backup, 1n, 2n, [tx]); // the backup's block, with the transaction
    const heavy = await build(inTurn, 2n, 1n, []); // the in-turn block, empty
    // RPC intake yields to the import: a raw transaction sent while the block imports enters the
    // pool after it (and is still answered with the pool's verdict).
    const intake = new TxIntake(follower.layer.txpool, {}, { importsSettled: () => follower.layer.importsSettled() });
    assert.equal(follower.layer.importsSettled(), null, 'no import queued');
    const order: string[] = [];
    const importing = follower.layer.importBlock(light).then((r) => (order.push('import'), r));
    assert.ok(follower.layer.importsSettled() instanceof Promise, 'an import is queued');
    const other = signTx({ nonce: 0n, gasPrice: 1_000_000_000n, to: RECIPIENT, value: 1n, chainId: BigInt(cfg.chainId) }, users[1]!.key);
    const sent = intake.add([other]).then((r) => (order.push('intake'), r));
    const r1 = await importing;
    const [accepted] = await sent;
    assert.deepEqual(order, ['import', 'intake']);
    assert.ok(accepted?.ok, JSON.stringify(accepted));
    assert.equal(follower.layer.importsSettled(), null, 'imports settled');
    assert.equal(r1.status, 'head', JSON.stringify(r1));
    assert.equal(follower.layer.txpool.size, 1, 'only the transaction sent during the import');
    const r2 = await follower.layer.importBlock(heavy);
    assert.ok(r2.status === 'head' && r2.reorg && r2.reorg.removed === 1 && r2.reorg.added === 1, JSON.stringify(r2));
    assert.equal(bytesToHex(follower.chain.head().hash), bytesToHex(headerHashOf(heavy.header)));
    assert.equal(follower.layer.txpool.size, 2, 'the dropped transaction is pending again');
    const again = await follower.layer.importBlock(light);
    assert.equal(again.status, 'known');
    const bad = await follower.layer.importBlock({ header: { ...heavy.header, gasUsed: 1n }, txs: [] });
    // A tampered header recovers to someone else (or nobody): refused before any execution.
    assert.ok(bad.status === 'rejected' && ['bad-seal', 'not-producer'].includes(bad.code), JSON.stringify(bad));
  } finally {
    for (const n of [maker, follower]) {
      await n.layer.close();
      await n.executor.close();
      for (const d of n.dbs) await d.close().catch(() => {});
    }
  }
});

test('import: senders of transactions already in the pool are taken from it; the rest are recovered, and a forged one is refused', { timeout: 60_000 }, async (t) => {
  const base = tempDir(t, 'bttc-senders');
  const genesisTime = BigInt(Math.floor(Date.now() / 1000)) - 100n;
  const systemCode = await loadSystemContractsCode();
  const spans = new Map([0, 1].map((i) => [i, span(i)]));
  class CountingVerifier extends InlineVerifier {
    recovered = 0;
    override async verifyBatch(items: Parameters<InlineVerifier['verifyBatch']>[0], opts?: Parameters<InlineVerifier['verifyBatch']>[1]) {
      this.recovered += items.filter((i) => i.kind === 'secp256k1-recover').length;
      return super.verifyBatch(items, opts);
    }
  }
  const open = async (name: string, verifier: InlineVerifier) => {
    const executor = await Executor.open({ chainId: cfg.chainId, dataDir: join(base, `exec-${name}`) });
    const dbs = [await LevelStore.open(join(base, `chain-${name}`)), await LevelStore.open(join(base, `layer-${name}`))];
    const chain = new ChainStore({}, { db: dbs[0]! });
    const layer = await BttcLayer.open(
      // Every intake recovery through the verifier (none inline), so it counts them all.
      {
        bttc: cfg,
        genesis: { time: genesisTime, alloc: users.map((u) => [u.address, { balance: 10n ** 21n }] as [Uint8Array, { balance: bigint }]) },
        systemCode,
        signer: null,
        txpool: { inlineRecoverMax: 0 },
      },
      { executor, chain, db: dbs[1]!, verifier, spans: { spanById: (id) => spans.get(id) }, stateSyncs: { recordsFrom: async () => [] } },
    );
    return { executor, chain, dbs, layer };
  };
  const counting = new CountingVerifier();
  const maker = await open('maker', new InlineVerifier());
  const node = await open('node', counting);
  try {
    const { sealHeader } = await import('../../src/bttc/engine/seal.ts');
    const { buildExtra } = await import('../../src/bttc/engine/extra.ts');
    const inTurn = Buffer.compare(producers[0]!.address, producers[1]!.address) < 0 ? producers[0]! : producers[1]!;
    const txs = [0, 1, 2].map((u) => signTx({ nonce: 0n, gasPrice: 1_000_000_000n, to: RECIPIENT, value: 10n + BigInt(u), chainId: BigInt(cfg.chainId) }, users[u]!.key));
    const build = async (parent: ReturnType<typeof maker.chain.head>, list: Uint8Array[], senders: Uint8Array[]) => {
      const r = await maker.executor.buildBlock({
        parent: { hash: parent.hash, number: parent.header.number, stateRoot: parent.header.stateRoot },
        header: {
          number: parent.header.number + 1n,
          time: parent.header.time + 1n,
          gasLimit: parent.header.gasLimit,
          difficulty: 2n,
          coinbase: new Uint8Array(20),
          extra: buildExtra(new Uint8Array(32), null),
        },
        author: inTurn.address,
        txs: list,
        senders,
        budgetMs: 1000,
      });
      assert.equal(r.included.length, list.length, 'every transaction fits the block');
      return { header: sealHeader(r.header, inTurn.key), txs: list };
    };
    // Two of the three arrived by gossip first: the pool recovered them once.
    assert.ok((await node.layer.addTransactions(txs.slice(0, 2))).every((r) => r.ok));
    assert.equal(counting.recovered, 2);
    const b1 = await build(
      maker.chain.head(),
      txs,
      [0, 1, 2].map((u) => users[u]!.address),
    );
    const r1 = await node.layer.importBlock(b1);
    assert.equal(r1.status, 'head', JSON.stringify(r1));
    assert.equal(counting.recovered, 3, 'only the transaction the pool did not hold was recovered on import');
    assert.equal(node.layer.txpool.size, 0, 'the included transactions left the pool');
    assert.equal((await node.executor.getAccount(node.chain.head().header.stateRoot, RECIPIENT))?.balance, 33n, 'executed with the right senders');

    // A transaction with a tampered signature is not in any pool: it is recovered, and the block refused.
    const honest = signTx({ nonce: 0n, gasPrice: 1_000_000_000n, to: RECIPIENT, value: 1n, chainId: BigInt(cfg.chainId) }, users[3]!.key);
    await maker.layer.importBlock(b1);
    const b2 = await build(maker.chain.head(), [honest], [users[3]!.address]);
    const forged = honest.slice();
    forged[forged.length - 1]! ^= 1; // last byte of s
    const bad = await node.layer.importBlock({ header: b2.header, txs: [forged] });
    assert.equal(bad.status, 'rejected', JSON.stringify(bad));
    assert.equal(counting.recovered, 4);
  } finally {
    for (const n of [maker, node]) {
      await n.layer.close();
      await n.executor.close();
      for (const d of n.dbs) await d.close().catch(() => {});
    }
  }
});
