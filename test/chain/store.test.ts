import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LevelStore } from '../../src/db/level.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { ChainStoreError } from '../../src/chain/interface.ts';
import { hashHeader } from '../../src/evm/block.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { bytesToHex, equalBytes } from '../../src/util/bytes.ts';
import { tempDir } from '../evm/helpers.ts';
import { genesisHeader, makeBlock, TOKEN_A, TOKEN_B, TOPIC_TRANSFER } from './fixtures/blocks.ts';

async function openStore(path: string, maxLogBlockRange = 100): Promise<ChainStore> {
  return new ChainStore({ maxLogBlockRange }, { db: await LevelStore.open(path) });
}

const hex = bytesToHex;
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, norm(x)]),
    );
  return v;
}

test('blocks, receipts, tx index and logs are stored and served; a block must extend the head to become it', async () => {
  const d = tempDir('chain');
  const s = await openStore(d.path, 3);
  try {
    const g = await s.init(genesisHeader());
    assert.equal(g.number, 0n);
    const b1 = makeBlock(g.header, 3);
    const b2 = makeBlock(b1.header, 2);
    await s.putBlock(b1, { setHead: true });
    await assert.rejects(s.putBlock(makeBlock(b2.header, 1), { setHead: true }), ChainStoreError); // parent unknown
    await s.putBlock(b2, { setHead: true });
    assert.equal(s.head().number, 2n);
    assert.equal(s.head().td, 3n);
    assert.equal(hex((await s.getCanonicalHash(1n))!), hex(b1.hash));
    assert.deepEqual((await s.getBody(b1.hash))!.txs.map(hex), b1.txs.map(hex));
    assert.deepEqual(norm(await s.getReceipts(b2.hash)), norm(b2.receipts));
    const tx = await s.getTransaction(keccak256(b1.txs[2]!));
    assert.equal(tx!.blockNumber, 1n);
    assert.equal(tx!.index, 2);
    assert.equal(hex(tx!.sender), hex(b1.senders[2]!));
    assert.deepEqual((await s.getAncestorHashes(b2.hash, 10)).map(hex), [b2.hash, b1.hash, s.genesisHash()].map(hex));

    const all = await s.getLogs({ fromBlock: 0n, toBlock: 10n });
    assert.equal(all.length, 5);
    assert.deepEqual(
      all.map((l) => l.logIndex),
      [0, 1, 2, 0, 1],
    );
    const a = await s.getLogs({ fromBlock: 0n, toBlock: 2n, addresses: [TOKEN_A] });
    assert.deepEqual(
      a.map((l) => [Number(l.blockNumber), l.txIndex]),
      [
        [1, 0],
        [1, 2],
        [2, 0],
      ],
    );
    const t1 = new Uint8Array(32);
    t1[31] = 1;
    const byTopic = await s.getLogs({ fromBlock: 0n, toBlock: 2n, topics: [[TOPIC_TRANSFER], [t1]] });
    assert.deepEqual(
      byTopic.map((l) => [Number(l.blockNumber), hex(l.address)]),
      [
        [1, hex(TOKEN_B)],
        [2, hex(TOKEN_B)],
      ],
    );
    assert.equal((await s.getLogs({ fromBlock: 2n, toBlock: 2n, addresses: [TOKEN_B], topics: [null, [t1]] })).length, 1);
    const b3 = makeBlock(b2.header, 1);
    await s.putBlock(b3, { setHead: true });
    await assert.rejects(s.getLogs({ fromBlock: 0n, toBlock: 500n }), /wider than 3/);
    // a side block is stored without moving the head
    const side = makeBlock(b1.header, 1, 9);
    await s.putBlock(side);
    assert.equal(s.head().number, 3n);
    assert.equal(await s.hasBlock(side.hash), true);
    assert.equal(await s.getTxLocation(keccak256(side.txs[0]!)), undefined);
  } finally {
    await s.close();
    d.cleanup();
  }
});

test('setHead reorgs in one batch: canonical numbers, tx index and logs follow the new branch, and back', async () => {
  const d = tempDir('chain-reorg');
  const s = await openStore(d.path);
  try {
    const g = await s.init(genesisHeader());
    const a: ReturnType<typeof makeBlock>[] = [];
    let p = g.header;
    for (let i = 0; i < 5; i++) {
      const b = makeBlock(p, 2, 0);
      await s.putBlock(b, { setHead: true });
      a.push(b);
      p = b.header;
    }
    // branch B forks after block 2, is one longer, and repeats one of A4's transactions
    const shared = a[3]!.txs[1]!;
    const bb: ReturnType<typeof makeBlock>[] = [];
    p = a[1]!.header;
    for (let i = 0; i < 4; i++) {
      const b = makeBlock(p, 2, 1, i === 1 ? { txs: [Uint8Array.of(7, 7), shared] } : {});
      await s.putBlock(b);
      bb.push(b);
      p = b.header;
    }
    const r = await s.setHead(bb[3]!.hash);
    assert.equal(r.common.number, 2n);
    assert.deepEqual(
      r.removed.map(hex),
      a.slice(2).map((b) => hex(b.hash)),
    );
    assert.deepEqual(
      r.added.map(hex),
      bb.map((b) => hex(b.hash)),
    );
    assert.equal(s.head().number, 6n);
    for (let n = 3n; n <= 6n; n++) assert.equal(hex((await s.getCanonicalHash(n))!), hex(bb[Number(n) - 3]!.hash));
    assert.equal(await s.getTxLocation(keccak256(a[2]!.txs[0]!)), undefined, 'a removed tx leaves the index');
    const moved = await s.getTxLocation(keccak256(shared));
    assert.equal(hex(moved!.blockHash), hex(bb[1]!.hash), 'a tx in both branches is indexed where the new branch has it');
    assert.equal(moved!.index, 1);
    const logs = await s.getLogs({ fromBlock: 3n, toBlock: 6n, addresses: [TOKEN_A] });
    assert.ok(logs.every((l) => bb.some((b) => equalBytes(b.hash, l.blockHash))));
    assert.equal(logs.length, 4);

    // back to the shorter branch A: numbers above its head disappear
    const back = await s.setHead(a[4]!.hash);
    assert.equal(back.removed.length, 4);
    assert.equal(s.head().number, 5n);
    assert.equal(await s.getCanonicalHash(6n), undefined);
    assert.equal(hex((await s.getTxLocation(keccak256(shared)))!.blockHash), hex(a[3]!.hash));
    await assert.rejects(s.setHead(new Uint8Array(32).fill(3)), /not stored/);
  } finally {
    await s.close();
    d.cleanup();
  }
});

test('reopening finds the same head; a different genesis is refused', async () => {
  const d = tempDir('chain-reopen');
  let s = await openStore(d.path);
  const g = await s.init(genesisHeader());
  const b1 = makeBlock(g.header, 1);
  await s.putBlock(b1, { setHead: true });
  await s.close();
  s = await openStore(d.path);
  const h = await s.init(genesisHeader());
  assert.equal(hex(h.hash), hex(b1.hash));
  await s.close();
  s = await openStore(d.path);
  await assert.rejects(s.init({ ...genesisHeader(), time: 5n }), /genesis/);
  await s.close();
  d.cleanup();
});

async function checkConsistent(s: ChainStore): Promise<bigint> {
  const head = s.head();
  let hash = head.hash;
  for (let n = head.number; n >= 0n; n--) {
    const canon = await s.getCanonicalHash(n);
    assert.ok(canon && equalBytes(canon, hash), `canonical hash at ${n}`);
    const h = await s.getHeader(hash);
    assert.ok(h && h.number === n, `header ${n}`);
    assert.equal(hex(hashHeader(h)), hex(hash));
    const body = await s.getBody(hash);
    const receipts = await s.getReceipts(hash);
    assert.ok(body && receipts && body.txs.length === receipts.length, `body and receipts of ${n}`);
    if (n === head.number || n === head.number - 1n) {
      for (let i = 0; i < body.txs.length; i++) {
        const loc = await s.getTxLocation(keccak256(body.txs[i]!));
        assert.ok(loc && equalBytes(loc.blockHash, hash) && loc.index === i, `tx index of block ${n} tx ${i}`);
      }
    }
    hash = h.parentHash;
  }
  assert.equal(await s.getCanonicalHash(head.number + 1n), undefined, 'nothing canonical above the head');
  return head.number;
}

test('a writer killed with SIGKILL mid-loop leaves a consistent head, three times over', async () => {
  const d = tempDir('chain-crash');
  const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
  let last = -1n;
  try {
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [writer, d.path], { stdio: ['ignore', 'pipe', 'inherit'] });
      let seen = 0;
      const target = 20 + Math.floor(Math.random() * 40);
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString().split('\n').filter(Boolean).length;
          if (seen >= target) {
            // kill at a random moment after the target, mid-write most of the time
            setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 15));
          }
        });
        child.on('exit', () => resolve());
        child.on('error', reject);
      });
      const s = await openStore(d.path);
      await s.init(genesisHeader());
      const head = await checkConsistent(s);
      assert.ok(head > last, `round ${round}: head ${head} advanced past ${last}`);
      last = head;
      await s.close();
    }
  } finally {
    d.cleanup();
  }
});

test('head-change listeners hear every new head (extension and reorg), not side blocks; a throwing listener undoes nothing', async () => {
  const d = tempDir('chain');
  const s = await openStore(d.path);
  try {
    const g = await s.init(genesisHeader());
    const heard: string[] = [];
    const off = s.onHeadChange((h) => heard.push(hex(h)));
    s.onHeadChange(() => {
      throw new Error('a broken subscriber');
    });
    const b1 = makeBlock(g.header, 1);
    const b2 = makeBlock(b1.header, 1);
    const side = makeBlock(b1.header, 1, 9);
    await s.putBlock(b1, { setHead: true });
    await s.putBlock(b2, { setHead: true });
    await s.putBlock(side);
    assert.deepEqual(heard, [hex(b1.hash), hex(b2.hash)]);
    await s.setHead(side.hash);
    assert.deepEqual(heard, [hex(b1.hash), hex(b2.hash), hex(side.hash)]);
    assert.equal(hex(s.head().hash), hex(side.hash));
    off();
    await s.setHead(b2.hash);
    assert.equal(heard.length, 3, 'an unsubscribed listener hears nothing');
    assert.equal(hex(s.head().hash), hex(b2.hash));
  } finally {
    await s.close();
    d.cleanup();
  }
});
