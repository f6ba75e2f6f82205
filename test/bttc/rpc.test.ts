import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelStore } from '../../src/db/level.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import type { RpcError } from '../../src/rpc/errors.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { registerBorMethods } from '../../src/bttc/rpc.ts';
import { vectors } from '../helpers/vectors.ts';
import { genesisHeader, makeSigners, sealedChild } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';

test('bor_getRootHash matches the checkpoint vectors over stored headers; bor_getAuthor recovers the sealer', async (t) => {
  const db = await LevelStore.open(tempDir(t, 'bttc-borrpc'));
  try {
    const chain = new ChainStore({}, { db });
    const genesis = genesisHeader(998n);
    await chain.init(genesis);
    const signers = makeSigners(3, 'rpc');
    let parent = genesis;
    for (let n = 1; n <= 5; n++) {
      const h = sealedChild(parent, signers[n % 3]!, { time: parent.time + 2n, difficulty: 3n, sprint: 64 });
      await chain.putBlock({ header: h, txs: [], senders: [], receipts: [] }, { setHead: true });
      parent = h;
    }
    const reg = new MethodRegistry();
    let hashCalls = 0;
    registerBorMethods(reg, { chain, hashPool: null });
    const reg2 = new MethodRegistry();
    const { checkpointRoot } = await import('../../src/merkle/checkpoint.ts');
    registerBorMethods(reg2, { chain, hashPool: { checkpointRoot: async (r) => (hashCalls++, checkpointRoot(r)) } });
    for (const v of vectors.checkpointRoots.filter((r) => r.blocks)) {
      const b = v.blocks!;
      const root = await reg.call('bor_getRootHash', [b[0], b[b.length - 1]], {});
      assert.equal(root, v.root.slice(2), `blocks ${b.join(',')}: hex without 0x, as Bor returns it`);
      assert.equal(await reg2.call('bor_getRootHash', ['0x' + b[0]!.toString(16), String(b[b.length - 1])], {}), root, 'hash pool path, hex and decimal-string arguments');
    }
    assert.ok(hashCalls >= 1);
    await assert.rejects(reg.call('bor_getRootHash', [3, 2], {}), (e: RpcError) => e.code === -32000 && /Invalid start end block/.test(e.message));
    await assert.rejects(reg.call('bor_getRootHash', [1, 6], {}), (e: RpcError) => e.code === -32000 && /currentHeader: 5/.test(e.message));
    await assert.rejects(reg.call('bor_getRootHash', [1], {}), (e: RpcError) => e.code === -32602);
    await assert.rejects(reg.call('bor_getRootHash', [-1, 2], {}), (e: RpcError) => e.code === -32602);
    for (let n = 1; n <= 5; n++) assert.equal(await reg.call('bor_getAuthor', ['0x' + n.toString(16)], {}), bytesToHex(signers[n % 3]!.address));
    assert.equal(await reg.call('bor_getAuthor', [], {}), bytesToHex(signers[5 % 3]!.address), 'latest by default');
    assert.equal(await reg.call('bor_getAuthor', [bytesToHex(chain.head().hash)], {}), bytesToHex(signers[2]!.address), 'by hash');
    await assert.rejects(reg.call('bor_getAuthor', ['0x0'], {}), /genesis/);
    await assert.rejects(reg.call('bor_getAuthor', ['0x99'], {}), /unknown block/);
    await chain.close();
  } finally {
    await db.close().catch(() => {});
  }
});
