/**
 * The executor writes BTTC's genesis in full (alloc with code, storage, nonce and balance; extraData,
 * gas limit, difficulty, mixHash, coinbase, timestamp from the file): the chain store opened on it
 * holds BTTC's published genesis hashes, and so does the Bttc layer opened on the geth genesis.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ChainStore } from '../../src/chain/store.ts';
import { loadConfig } from '../../src/config/load.ts';
import { LevelStore } from '../../src/db/level.ts';
import { Executor } from '../../src/evm/executor.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { BttcLayer } from '../../src/bttc/layer.ts';
import { gethGenesisMismatches, gethGenesisSpec } from '../../src/bttc/genesis/bttc-genesis.ts';
import { parseGethGenesis } from '../../src/bttc/genesis/geth-genesis.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PUBLISHED = {
  mainnet: '0x021eb3b7c4161d91f6f92632ebe6e28aa440dd23e3016c086d0fad4b119fcdc1',
  donau: '0x9b0a7d8dcbdef00594103f1addbe206daa55f2e422ace24419b7680b3fb34cf5',
};
const geth = (net: string) => parseGethGenesis(JSON.parse(readFileSync(join(ROOT, `config/genesis/${net}-bttc.json`), 'utf8')), net);

test("executor + chain store on BTTC's mainnet and Donau genesis files give the published genesis hashes", async (t) => {
  for (const [net, hash] of Object.entries(PUBLISHED)) {
    const dir = tempDir(t, `genesis-${net}`);
    const g = geth(net);
    const executor = await Executor.open({ chainId: g.chainId, dataDir: join(dir, 'state') });
    const db = await LevelStore.open(join(dir, 'chain'));
    const chain = new ChainStore({}, { db });
    try {
      const header = await executor.initGenesis(gethGenesisSpec(g));
      await chain.init(header);
      assert.equal(bytesToHex(chain.genesisHash()), hash, net);
      assert.equal(header.gasLimit, 10_000_000n);
      assert.equal(header.time, 0x5ce28211n);
      assert.equal(header.extra.length, 0);
      // The state is there to run on: 0x…1010's code and a validator's balance read back.
      const token = hexToBytes('0x0000000000000000000000000000000000001010');
      assert.deepEqual(await executor.getCode(header.stateRoot, token), g.alloc.get('0x0000000000000000000000000000000000001010')!.code);
      const [addr, acc] = [...g.alloc].find(([, a]) => a.balance > 0n)!;
      assert.equal((await executor.getAccount(header.stateRoot, hexToBytes(addr)))?.balance, acc.balance);
    } finally {
      await executor.close();
      await chain.close().catch(() => {});
      await db.close().catch(() => {});
    }
  }
});

test("the Bttc layer opened on the mainnet geth genesis stores BTTC's genesis block; a config that disagrees is refused", async (t) => {
  const dir = tempDir(t, 'genesis-layer');
  const cfg = loadConfig('mainnet').bttc;
  const g = geth('mainnet');
  const spans = {
    spanById: (id: number) =>
      id === 0 ? { id: 0, startBlock: 0, endBlock: 255, validators: [], producers: [{ id: 1n, power: 1n, signer: hexToBytes('0xdcc05b56f58af80dba0f6751c223f231dcab3e1a') }] } : undefined,
  };
  const open = async (name: string, bttc: typeof cfg) => {
    const executor = await Executor.open({ chainId: bttc.chainId, dataDir: join(dir, `exec-${name}`) });
    const dbs = [await LevelStore.open(join(dir, `chain-${name}`)), await LevelStore.open(join(dir, `layer-${name}`))];
    const chain = new ChainStore({}, { db: dbs[0]! });
    const close = async () => {
      await executor.close();
      for (const d of dbs) await d.close().catch(() => {});
    };
    try {
      const layer = await BttcLayer.open(
        { bttc, genesis: { geth: g }, signer: null },
        { executor, chain, db: dbs[1]!, verifier: new InlineVerifier(), spans, stateSyncs: { recordsFrom: async () => [] } },
      );
      return { layer, chain, close };
    } catch (err) {
      await close();
      throw err;
    }
  };
  const n = await open('ok', cfg);
  try {
    assert.equal(bytesToHex(n.chain.genesisHash()), PUBLISHED.mainnet);
    assert.equal(n.chain.head().number, 0n);
  } finally {
    await n.layer.close();
    await n.close();
  }
  await assert.rejects(open('bad', { ...cfg, sprint: 16 }), /the genesis does not match the config: config\.bor\.sprint is 64 but the config's bttc\.sprint is 16/);
  assert.deepEqual(gethGenesisMismatches(g, cfg), []);
  assert.deepEqual(gethGenesisMismatches(geth('donau'), loadConfig('donau').bttc), []);
});
