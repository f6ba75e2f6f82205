/**
 * The chain store's on-disk layout, pinned byte for byte: data directories written before the store
 * moved onto the bucket registry must still open. Expected keys are written out by hand from the
 * documented layout (src/chain/records.ts), not through the store's own codecs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { LevelStore } from '../../src/db/level.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { encodeHeader } from '../../src/evm/block.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { tempDir } from '../evm/helpers.ts';
import { beHex, hexOf, rawEntries } from '../db/raw.ts';
import { genesisHeader, makeBlock, TOKEN_A, TOKEN_B } from './fixtures/blocks.ts';

test('chain store layout: one byte per record kind, hash / number / address keys, values as documented', async () => {
  const d = tempDir('chain-layout');
  const db = await LevelStore.open(d.path);
  try {
    const s = new ChainStore({}, { db });
    const g = await s.init(genesisHeader());
    const b1 = makeBlock(g.header, 2);
    await s.putBlock(b1, { setHead: true });
    const gh = hexOf(g.hash);
    const bh = hexOf(b1.hash);
    const tx0 = hexOf(keccak256(b1.txs[0]!));
    const tx1 = hexOf(keccak256(b1.txs[1]!));
    const raw = await rawEntries(db);
    const expectedKeys = [
      `c0${gh}`,
      `c0${bh}`, // header
      `c1${gh}`,
      `c1${bh}`, // body
      `c2${gh}`,
      `c2${bh}`, // receipts
      `c3${gh}`,
      `c3${bh}`, // total difficulty
      `c4${beHex(0, 8)}`,
      `c4${beHex(1, 8)}`, // canonical number → hash
      `c5${tx0}`,
      `c5${tx1}`, // tx index
      `c6${hexOf(TOKEN_A)}${beHex(1, 8)}`,
      `c6${hexOf(TOKEN_B)}${beHex(1, 8)}`, // address ‖ number
      'cf01',
      'cf02', // head, genesis
    ];
    assert.deepEqual([...raw.keys()].sort(), expectedKeys.sort());

    assert.equal(raw.get('cf01'), bh, 'head pointer → hash');
    assert.equal(raw.get('cf02'), gh, 'genesis → hash');
    assert.equal(raw.get(`c4${beHex(1, 8)}`), bh);
    assert.equal(raw.get(`c5${tx1}`), bh + beHex(1, 8) + beHex(1, 4), 'block hash ‖ number u64 ‖ index u32');
    assert.equal(raw.get(`c6${hexOf(TOKEN_A)}${beHex(1, 8)}`), '01');
    assert.equal(raw.get(`c3${gh}`), '01', 'genesis difficulty 1, minimal big-endian');
    assert.equal(raw.get(`c3${bh}`), '02');
    assert.equal(raw.get(`c1${gh}`), 'c2c080', 'RLP [[], ""]: no txs, no senders');
    assert.equal(raw.get(`c2${gh}`), 'c0', 'RLP []');
    assert.equal(raw.get(`c0${bh}`), hexOf(encodeHeader(b1.header)));
    const senders = new Uint8Array(40);
    senders.set(b1.senders[0]!, 0);
    senders.set(b1.senders[1]!, 20);
    assert.equal(raw.get(`c1${bh}`), hexOf(RLP.encode([b1.txs, senders])), 'RLP [txs, senders concatenated]');
  } finally {
    await db.close();
    d.cleanup();
  }
});
