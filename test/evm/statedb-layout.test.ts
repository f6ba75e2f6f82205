/** The executor's state db layout, pinned byte for byte: 'n' (0x6e) ‖ node or code hash, 'm' (0x6d) ‖ name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelStore } from '../../src/db/level.ts';
import { metaKey, StateDb } from '../../src/evm/stateDb.ts';
import { hexOf, rawEntries } from '../db/raw.ts';
import { tempDir } from './helpers.ts';

test('state db layout: trie nodes under 0x6e ‖ hash, metadata under 0x6d ‖ UTF-8 name', async () => {
  const d = tempDir('statedb-layout');
  try {
    const state = await StateDb.open(d.path);
    const nodeHash = 'ab'.repeat(32);
    await state.put(nodeHash, Uint8Array.of(1, 2, 3));
    await state.put('cd'.repeat(32), 'beef');
    const root = new Uint8Array(32).fill(0x5e);
    await state.flush([{ type: 'put', key: metaKey('genesisRoot'), value: root }]);
    assert.equal(hexOf((await state.getMeta('genesisRoot'))!), hexOf(root));
    await state.close();

    const db = await LevelStore.open(d.path);
    try {
      const raw = await rawEntries(db);
      const meta = `6d${Buffer.from('genesisRoot', 'utf8').toString('hex')}`;
      assert.deepEqual([...raw.keys()].sort(), [meta, `6e${nodeHash}`, `6e${'cd'.repeat(32)}`].sort());
      assert.equal(raw.get(`6e${nodeHash}`), '010203');
      assert.equal(raw.get(`6e${'cd'.repeat(32)}`), 'beef', 'hex values from the MPT are stored as their bytes');
      assert.equal(raw.get(meta), '5e'.repeat(32));
    } finally {
      await db.close();
    }
  } finally {
    d.cleanup();
  }
});
