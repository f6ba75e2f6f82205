/** Spans are seeded from Ethereum block hashes, as BTTC's Delivery does, whichever chain stakes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { spanSeedChain } from '../../src/node/root-chains.ts';

test('mainnet (TRON stakes, Ethereum and BSC checkpoint) seeds from Ethereum; devnet from its one chain', () => {
  const mainnet = loadConfig('mainnet');
  assert.ok(
    mainnet.rootChains.some((c) => c.kind === 'tron'),
    'mainnet has TRON',
  );
  assert.equal(spanSeedChain(mainnet)?.id, 2);
  assert.equal(spanSeedChain(loadConfig('devnet'))?.id, loadConfig('devnet').rootChains[0]!.id);
  const tronOnly = { rootChains: mainnet.rootChains.filter((c) => c.kind === 'tron') };
  assert.equal(spanSeedChain(tronOnly)?.kind, 'tron', 'a TRON-only config still has a seed source');
});
