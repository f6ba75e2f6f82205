/**
 * The anchorer's bookkeeping on a real LevelDB store, with the chain and the pool played by a small
 * in-memory stand-in (the devnet test runs it against the real ones): one anchor per sealed batch with
 * consecutive nonces taken from the pool, a refused send retried, inclusion seen on a new head, a
 * reorg making an anchor pending again, and a restart sending only what was never sent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { testKey } from '../helpers/keys.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { LevelStore } from '../../src/db/level.ts';
import { AuditStore } from '../../src/audit-log/store.ts';
import { AuditLog } from '../../src/audit-log/log.ts';
import { AuditAnchorer, type SendOutcome } from '../../src/audit-log/anchor.ts';
import { anchorCalldata, AUDIT_ANCHOR_ADDRESS } from '../../src/audit-log/anchor-contract.ts';
import { sealPacked } from '../../src/audit-log/batch.ts';
import { records } from '../../src/audit-log/constructors.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const key = testKey(3);
const signer = { privateKey: key.secret, address: key.addressHex };

/** A chain and a pool: sent transactions wait in `pool` until `mine` puts them in a block. */
class Net {
  head = 10n;
  pool = new Map<string, Uint8Array>();
  located = new Map<string, { blockHash: Uint8Array; blockNumber: bigint; index: number }>();
  canonical = new Map<bigint, Uint8Array>();
  stateNonce = 0n;
  refuseNext = 0;
  sent: Uint8Array[] = [];

  nextNonce = async (): Promise<bigint> => this.stateNonce + BigInt(this.pool.size);
  send = async (raw: Uint8Array): Promise<SendOutcome> => {
    if (this.refuseNext > 0) {
      this.refuseNext--;
      return { ok: false, code: 'pool-full', reason: 'pool is full' };
    }
    this.sent.push(raw);
    this.pool.set(bytesToHex(keccak256(raw)), raw);
    return { ok: true };
  };
  inPool = (h: Uint8Array) => this.pool.has(bytesToHex(h));
  chain = {
    getTxLocation: async (h: Uint8Array) => this.located.get(bytesToHex(h)),
    getCanonicalHash: async (n: bigint) => this.canonical.get(n),
    head: () => ({ number: this.head }),
  };
  mine(): void {
    this.head++;
    const hash = keccak256(new TextEncoder().encode(`block ${this.head}`));
    this.canonical.set(this.head, hash);
    [...this.pool.keys()].forEach((h, index) => this.located.set(h, { blockHash: hash, blockNumber: this.head, index }));
    this.stateNonce += BigInt(this.pool.size);
    this.pool.clear();
  }
}

function decoded(raw: Uint8Array): { nonce: bigint; to: string; data: string } {
  const f = RLP.decode(raw) as Uint8Array[];
  return { nonce: BigInt(bytesToHex(f[0]!) === '0x' ? 0 : bytesToHex(f[0]!)), to: bytesToHex(f[3]!), data: bytesToHex(f[5]!) };
}

describe('audit anchorer', () => {
  it('anchors each batch once with consecutive nonces, retries refusals, follows inclusion, reorgs and restarts', async () => {
    const dir = makeTempDir('anchorer');
    try {
      const db = await LevelStore.open(dir.path);
      const store = new AuditStore(db);
      const log = await AuditLog.open({ chainId: 1337199, signer, privateRetentionMs: 1e9, batchMaxRecords: 2, batchIntervalMs: 0 }, { store, sealer: { auditBatch: async (p) => sealPacked(p) } });
      const net = new Net();
      let now = 1000;
      const deps = { store, chain: net.chain, nextNonce: net.nextNonce, send: net.send, inPool: net.inPool, clock: { now: () => now } };
      const anchorer = new AuditAnchorer({ contract: AUDIT_ANCHOR_ADDRESS, chainId: 1337199, signer, gasPrice: 1n, resendAfterMs: 60_000 }, deps);
      log.onSealed((b) => anchorer.enqueue(b));
      await anchorer.start();
      net.refuseNext = 1; // the first send is refused: retried on the next head
      for (let i = 0; i < 6; i++) log.append(records.spanCommitted({ height: i, time: i }, { id: i, startBlock: 0, endBlock: 1, producers: [] }));
      await log.flush();
      await anchorer.onHead();
      await anchorer.onHead(); // the refused batch 0 goes out now, then 1 and 2 behind it
      const batches = await store.listBatches('public', 0, 10);
      assert.equal(batches.length, 3);
      assert.deepEqual(
        net.sent.map((r) => decoded(r).nonce),
        [0n, 1n, 2n],
      );
      assert.deepEqual(
        net.sent.map((r) => decoded(r).data),
        batches.map((b) => anchorCalldata(b.batch, b.digest)),
      );
      assert.ok(net.sent.every((r) => decoded(r).to === AUDIT_ANCHOR_ADDRESS));
      assert.equal(anchorer.pendingCount(), 3);

      net.mine();
      await anchorer.onHead();
      assert.equal(anchorer.pendingCount(), 0);
      assert.equal(anchorer.latest()?.batch, 2);
      assert.equal((await store.anchors.get(1))?.block?.number, 11);

      // a reorg drops block 11: the anchors are pending again
      net.canonical.set(11n, keccak256(Uint8Array.of(9)));
      await anchorer.onHead();
      assert.equal(anchorer.pendingCount(), 3);
      assert.equal((await store.anchors.get(1))?.block, null);
      // neither mined nor pooled after a minute: sent again with fresh nonces (the chain's count moved on)
      now += 61_000;
      net.located.clear();
      await anchorer.onHead();
      assert.deepEqual(
        net.sent.slice(3).map((r) => decoded(r).nonce),
        [3n, 4n, 5n],
      );
      await anchorer.close();

      // restart: sealed batches never sent are sent, sent ones are not sent twice
      for (let i = 6; i < 8; i++) log.append(records.spanCommitted({ height: i, time: i }, { id: i, startBlock: 0, endBlock: 1, producers: [] }));
      await log.flush();
      const again = new AuditAnchorer({ contract: AUDIT_ANCHOR_ADDRESS, chainId: 1337199, signer, gasPrice: 1n }, deps);
      const before = net.sent.length;
      await again.start();
      await again.onHead();
      assert.deepEqual(
        net.sent.slice(before).map((r) => decoded(r).data),
        [anchorCalldata(3, (await store.batch('public', 3))!.digest)],
      );
      await again.close();
      await log.close();
      await db.close();
    } finally {
      dir.remove();
    }
  });
});
