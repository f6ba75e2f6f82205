/**
 * BTTC's own genesis files give BTTC's published genesis hashes (params/config.go of their client),
 * the state root agrees with EthereumJS's state manager on an alloc with code and storage, and a
 * bad field is named.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { Account, Address } from '@ethereumjs/util';
import { genesisBlockSummary, allocStateRoot } from '../../src/bttc/genesis/genesis-block.ts';
import { GethGenesisError, parseGethGenesis } from '../../src/bttc/genesis/geth-genesis.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PUBLISHED = {
  mainnet: { chainId: 199, hash: '0x021eb3b7c4161d91f6f92632ebe6e28aa440dd23e3016c086d0fad4b119fcdc1' },
  donau: { chainId: 1029, hash: '0x9b0a7d8dcbdef00594103f1addbe206daa55f2e422ace24419b7680b3fb34cf5' },
};
const read = (name: string) => JSON.parse(readFileSync(resolve(ROOT, 'config/genesis', name), 'utf8')) as Record<string, unknown>;

test("bttc-node audit genesis gives BTTC's published mainnet and Donau genesis hashes", () => {
  for (const [net, want] of Object.entries(PUBLISHED)) {
    const r = spawnSync(process.execPath, [resolve(ROOT, 'src/cli/main.ts'), 'audit', 'genesis', '--genesis', resolve(ROOT, `config/genesis/${net}-bttc.json`)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { hash: string; stateRoot: string; chainId: number };
    assert.equal(out.hash, want.hash, net);
    assert.equal(out.chainId, want.chainId);
    assert.match(out.stateRoot, /^0x[0-9a-f]{64}$/);
  }
});

test('one changed balance or byte of extraData changes the hash', async () => {
  const g = read('mainnet-bttc.json');
  const base = bytesToHex((await genesisBlockSummary(parseGethGenesis(g, 'mainnet'))).hash);
  const alloc = structuredClone(g.alloc) as Record<string, { balance: string }>;
  const first = Object.keys(alloc)[3]!;
  alloc[first]!.balance = `0x${(BigInt(alloc[first]!.balance) + 1n).toString(16)}`;
  assert.notEqual(bytesToHex((await genesisBlockSummary(parseGethGenesis({ ...g, alloc }, 'x'))).hash), base);
  assert.notEqual(bytesToHex((await genesisBlockSummary(parseGethGenesis({ ...g, extraData: '0x01' }, 'x'))).hash), base);
});

test("the alloc state root agrees with EthereumJS's state manager (code, storage, nonce, balance)", async () => {
  const json = {
    config: { chainId: 5 },
    alloc: {
      '0x0000000000000000000000000000000000001000': {
        balance: '0x0',
        code: '0x6080604052',
        storage: { '0x01': '0x2a', '0x0000000000000000000000000000000000000000000000000000000000000002': '0x00000000000000000000000000000000000000000000000000000000000000ff', '0x03': '0x00' },
      },
      '0xdcc05b56f58af80dba0f6751c223f231dcab3e1a': { balance: '1000000000000000000', nonce: '0x7' },
    },
  };
  const g = parseGethGenesis(json, 'test');
  const sm = new MerkleStateManager();
  for (const [addr, acc] of g.alloc) {
    const a = new Address(hexToBytes(addr));
    await sm.putAccount(a, new Account(acc.nonce, acc.balance));
    if (acc.code.length) await sm.putCode(a, acc.code);
    for (const [slot, value] of acc.storage) await sm.putStorage(a, hexToBytes(slot), value);
  }
  await sm.checkpoint();
  await sm.commit();
  assert.equal(bytesToHex(await allocStateRoot(g.alloc)), bytesToHex(await sm.getStateRoot()));
  assert.equal(g.alloc.get('0x0000000000000000000000000000000000001000')!.storage.size, 2, 'a zero value is not stored');
});

test('Bor config: blockAlloc and overrideStateSyncRecords are read; bad fields are named', () => {
  const g = parseGethGenesis(read('mainnet-bttc.json'), 'mainnet');
  assert.equal(g.bor?.sprint[0]?.value, 64);
  assert.equal(g.bor?.validatorContract, '0x0000000000000000000000000000000000001000');
  const replaced = g.bor?.blockAlloc.get(841500n)?.get('0x0000000000000000000000000000000000001010');
  assert.ok(replaced && replaced.code.length > 1000, 'mainnet replaces the code at 0x…1010 at block 841500');
  const donau = parseGethGenesis(read('donau-bttc.json'), 'donau');
  assert.ok(donau.bor?.blockAlloc.has(1416202n));
  const withOverride = parseGethGenesis(
    { config: { chainId: 1, bor: { ...(read('mainnet-bttc.json').config as { bor: object }).bor, overrideStateSyncRecords: { '100': 2 }, sprint: { '0': 64, '1000': 16 } } } },
    'x',
  );
  assert.equal(withOverride.bor?.overrideStateSyncRecords.get(100n), 2);
  assert.deepEqual(
    withOverride.bor?.sprint.map((e) => e.value),
    [64, 16],
  );

  const bad: [unknown, RegExp][] = [
    [{ config: { chainId: 1 }, alloc: { '0x12': { balance: '1' } } }, /alloc key: expected 20 bytes/],
    [{ config: { chainId: 1 }, alloc: { '0x0000000000000000000000000000000000000001': { balance: '-1' } } }, /alloc\.0x0+1\.balance: expected a non-negative quantity/],
    [{ config: { chainId: 1 }, gasLimit: 'lots' }, /gasLimit: expected a non-negative quantity/],
    [{ config: { chainId: 1, bor: { period: 0 } } }, /config\.bor\.period: expected a positive integer/],
    [{ config: {} }, /config\.chainId: expected a quantity/],
  ];
  for (const [json, re] of bad)
    assert.throws(
      () => parseGethGenesis(json, 'g.json'),
      (e: unknown) => e instanceof GethGenesisError && re.test((e as Error).message) && (e as Error).message.startsWith('g.json: '),
    );
});
