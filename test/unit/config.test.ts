import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseOverrides, PRESETS, PRESET_DIR, ConfigError } from '../../src/config/load.ts';
import { toTronAddress } from '../../src/crypto/address.ts';
import { tempDir } from '../helpers/tmp.ts';

test('every preset loads and carries the protocol constants', () => {
  for (const name of PRESETS) {
    const c = loadConfig(name);
    assert.equal(c.network, name);
    assert.equal(c.bttc.period, 2);
    assert.equal(c.bttc.backupMultiplier, 2);
    assert.equal(c.bttc.producerCount, 11);
  }
  const main = loadConfig('mainnet');
  assert.equal(main.bttc.chainId, 199);
  assert.equal(main.delivery.chainId, 'delivery-199');
  assert.equal(main.bttc.sprint, 64);
  assert.equal(main.bttc.spanLength, 6400);
  assert.equal(main.bttc.producerDelay, 6);
  assert.deepEqual([main.checkpoint.bufferTime, main.checkpoint.avgLength, main.checkpoint.maxLength], [1000, 256, 1024]);
  assert.equal(main.staking.minStake, 10n ** 30n);
  assert.equal(main.staking.withdrawalDelay, 80);
  assert.deepEqual(
    main.rootChains.map((r) => [r.name, r.id, r.confirmations]),
    [
      ['tron', 1, 18],
      ['ethereum', 2, 6],
    ],
  );
  assert.equal(main.rootChains[1]!.rootChain, '0x98dfb360cbc65045a8415fa2514f549cd3000f02');
  assert.equal(loadConfig('donau').bttc.chainId, 1029);
});

test('a bad value names the file, the field and what was expected', (t) => {
  const dir = tempDir(t, 'cfg');
  const raw = JSON.parse(readFileSync(join(PRESET_DIR, 'devnet.json'), 'utf8'));
  raw.bttc.sprint = 'sixty-four';
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(raw));
  assert.throws(
    () => loadConfig(file),
    (err: Error) => err instanceof ConfigError && err.message.includes(file) && err.message.includes('bttc.sprint') && err.message.includes('expected an integer'),
  );
  assert.throws(() => loadConfig('devnet', { rootChains: [{ ...raw.rootChains[0], stakeManager: '0x12' }] }), /rootChains\[0\]\.stakeManager: expected a 0x-prefixed 20-byte hex address/);
  // TRON's base58 form of an address is accepted (same 20 bytes); a mistyped one fails its checksum.
  const tronForm = toTronAddress('0x98dfb360cbc65045a8415fa2514f549cd3000f02');
  assert.equal(loadConfig('devnet', { rootChains: [{ ...raw.rootChains[0], stakeManager: tronForm }] }).rootChains[0]!.stakeManager, '0x98dfb360cbc65045a8415fa2514f549cd3000f02');
  const typo = tronForm.slice(0, 10) + (tronForm[10] === 'a' ? 'b' : 'a') + tronForm.slice(11);
  assert.throws(() => loadConfig('devnet', { rootChains: [{ ...raw.rootChains[0], stakeManager: typo }] }), /rootChains\[0\]\.stakeManager: expected a TRON address with a valid checksum/);
  assert.throws(() => loadConfig('devnet', { bttc: { spanLength: 100 } }), /bttc\.spanLength: expected a multiple of bttc\.sprint/);
  assert.throws(() => loadConfig('devnet', { bttc: { colour: 1 } }), /bttc\.colour: expected no such field/);
  assert.throws(() => loadConfig('devnet', { staking: { minStake: -1 } }), /staking\.minStake/);
  assert.throws(() => loadConfig('nosuchnet'), /preset name/);
});

test('command-line overrides parse JSON values and nested paths', () => {
  assert.deepEqual(parseOverrides(['bttc.period=1', 'network=my-net', 'slashing.enabled=true']), { bttc: { period: 1 }, network: 'my-net', slashing: { enabled: true } });
  assert.equal(loadConfig('devnet', parseOverrides(['checkpoint.avgLength=64'])).checkpoint.avgLength, 64);
  assert.throws(() => parseOverrides(['nonsense']), ConfigError);
});
