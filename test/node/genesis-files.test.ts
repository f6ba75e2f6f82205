/**
 * A mainnet or Donau node starts from BTTC's genesis files with no genesis named in its config: the
 * preset's geth-format Bttc genesis and Heimdall-format Delivery genesis are read field by field, and
 * checked against the preset (mainnet's agree in full; Donau's root contracts come from the file).
 * The devnet's own format keeps loading; bad files and mismatches are named.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { isGethGenesis } from '../../src/bttc/genesis/bttc-genesis.ts';
import { DeliveryGenesisError, parseDeliveryGenesis } from '../../src/node/delivery-genesis.ts';
import { GenesisFileError, loadNetworkGenesis, reconcileWithGenesis } from '../../src/node/genesis.ts';
import { genesisStakingState } from '../../src/delivery/modules/staking/state.ts';
import { parseNodeFile } from '../../src/node/config.ts';
import { generateValidatorKeys } from '../../src/node/keys.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { tempDir } from '../helpers/tmp.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const file = (name: string) => join(ROOT, 'config/genesis', name);
const readJson = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as Record<string, unknown>;

test("mainnet: node.genesis may be left out; the preset names BTTC's two files, and they agree with the preset in full", () => {
  const nf = parseNodeFile({ preset: 'mainnet', node: { dataDir: './d' } }, join(ROOT, 'n.json'));
  assert.equal(nf.node.genesis, null);
  assert.deepEqual(nf.config.genesis, { bttc: file('mainnet-bttc.json'), delivery: file('mainnet-delivery.json') });
  const g = loadNetworkGenesis(nf.node, nf.config);
  assert.equal(g.network, 'mainnet');
  assert.ok(isGethGenesis(g.bttc));
  assert.equal(g.bttc.geth.chainId, 199n);
  assert.equal(g.delivery.time, Date.parse('2021-12-08T10:07:21.471Z'));
  assert.deepEqual(
    g.delivery.validators.map((v) => [v.id, v.signer]),
    [
      [1, '0xdcc05b56f58af80dba0f6751c223f231dcab3e1a'],
      [2, '0xd782c11d7f8be621bd726f9241acc0278ae2a4a2'],
      [3, '0x4c95a52686a9b3ff9cf787b94b8549a988334c57'],
      [4, '0xf5094a6c2f33d9b218d3dc386323695c51f0df79'],
      [5, '0xfd0a288bad34306fd0295ca48d5f9ccb21da5304'],
      [6, '0x201eb831f3ac536a0b4dd7e14c61b14c314bc537'],
      [7, '0x6e275592bd4af7192e9016b7c80d0db0a3ba190a'],
    ],
  );
  const cm = g.deliveryFile!.chainManager;
  // TRON's addresses are written 41-prefixed in the chain manager: the same 20 bytes as the preset's 0x form.
  assert.equal(cm.rootChains.get(1)!.rootChain, '0x8330108cfdd47544b398c15a3c252ad1d5a5566c');
  assert.deepEqual(cm.confirmations, { ethereum: 6, tron: 18, bttc: 10 });

  const r = reconcileWithGenesis(nf.config, g);
  assert.deepEqual(r.notes, [], "mainnet preset and BTTC's mainnet genesis disagree nowhere");
  assert.deepEqual(r.filled, []);
  assert.deepEqual(r.config.rootChains, nf.config.rootChains);
  // Each compared value, explicitly: the preset's root contracts and confirmations are the file's.
  for (const rc of nf.config.rootChains) {
    const fromFile = cm.rootChains.get(rc.id)!;
    assert.deepEqual([rc.stakeManager, rc.rootChain, rc.stateSender, rc.stakingInfo], [fromFile.stakeManager, fromFile.rootChain, fromFile.stateSender, fromFile.stakingInfo], rc.name);
    assert.equal(rc.confirmations, rc.kind === 'tron' ? cm.confirmations.tron : cm.confirmations.ethereum, rc.name);
  }
  assert.equal(nf.config.checkpoint.bttcConfirmations, cm.confirmations.bttc);
  assert.deepEqual(g.deliveryFile!.checkpoint, {
    bufferTime: nf.config.checkpoint.bufferTime,
    avgLength: nf.config.checkpoint.avgLength,
    maxLength: nf.config.checkpoint.maxLength,
    childBlockInterval: 10000,
  });
});

test("Delivery starts from BTTC's validators as BTTC did: the genesis set's priorities and proposer are the file's", () => {
  for (const net of ['mainnet', 'donau']) {
    const g = loadNetworkGenesis({ genesis: null }, loadConfig(net));
    const set = genesisStakingState(g.delivery).deliverySet;
    const span0 = g.deliveryFile!.span0!;
    assert.deepEqual(
      set.validators().map((v) => ({ id: v.id, accum: v.proposerPriority })),
      span0.validators,
      `${net}: Tendermint's NewValidatorSet over the file's validators gives the file's accums, in its order`,
    );
    assert.equal(set.getProposer()?.id, span0.proposer, net);
  }
});

test("Donau: the preset's null root contracts are taken from the Delivery genesis; BSC (not in it) stays null", () => {
  const config = loadConfig('donau');
  const g = loadNetworkGenesis({ genesis: null, deliveryGenesis: null }, config);
  const r = reconcileWithGenesis(config, g);
  assert.deepEqual(r.notes, []);
  assert.equal(r.filled.length, 8);
  const [tron, eth, bsc] = r.config.rootChains;
  assert.deepEqual(
    [tron!.rootChain, tron!.stakeManager, tron!.stateSender, tron!.stakingInfo],
    ['0x7f36436e82ed2dee196a05e3d606d2551296a33a', '0x80b4ef3b990f46626cd537b7d5b84353604246b7', '0xe016f77aab49cb86cd3ef9aedd0530f30d3234d1', '0x4ac852fd0223e2a6482c75bd6234d9b67bddee2a'],
  );
  assert.equal(eth!.rootChain, '0x42cdf3395bbd91ad1879b51f606c6ac51a34a9ce');
  assert.equal(bsc!.rootChain, null);
  assert.ok(Object.isFrozen(r.config.rootChains[0]));
});

test("the config wins where Delivery's governance may have moved things (a note), and refuses what defines the chain", () => {
  const set = { rootChains: loadConfig('mainnet').rootChains.map((rc) => (rc.kind === 'tron' ? { ...rc, confirmations: 20, stateSender: '0x00000000000000000000000000000000000000aa' } : rc)) };
  const config = loadConfig('mainnet', set);
  const g = loadNetworkGenesis({ genesis: null }, config);
  const r = reconcileWithGenesis(config, g);
  assert.equal(r.config.rootChains[0]!.confirmations, 20, 'the config is kept');
  assert.equal(r.config.rootChains[0]!.stateSender, '0x00000000000000000000000000000000000000aa');
  assert.equal(r.notes.length, 2);
  assert.match(r.notes.join('\n'), /rootChains\[0\]\.confirmations \(tron\) is 20 \(config, kept\) but .*mainnet-delivery\.json has tronchain_tx_confirmations 18/);

  for (const [over, re] of [
    [{ bttc: { chainId: 1029 } }, /mainnet-bttc\.json: config\.chainId is 199 but the config's bttc\.chainId is 1029/],
    [{ delivery: { chainId: 'delivery-1' } }, /mainnet-delivery\.json: chain_id is delivery-199 but the config's delivery\.chainId is delivery-1/],
    [{ bttc: { producerDelay: 4 } }, /config\.bor\.producerDelay is 6 but the config's bttc\.producerDelay is 4/],
    [{ bttc: { spanLength: 128, firstSpanEnd: 127 } }, /bor span_duration is 6400 .*bor span 0 end_block is 255 but the config's bttc\.firstSpanEnd is 127/],
  ] as [Record<string, unknown>, RegExp][]) {
    const c = loadConfig('mainnet', over);
    assert.throws(
      () => reconcileWithGenesis(c, g),
      (e: unknown) => e instanceof GenesisFileError && re.test((e as Error).message),
      JSON.stringify(over),
    );
  }
});

test('a geth-format node.genesis takes node.deliveryGenesis; the devnet format still loads; missing pieces are named', (t) => {
  const dir = { path: tempDir(t, 'genesis-files') };
  const devnet = loadConfig('devnet');
  // The geth file and the Delivery file of another network, named in the node file.
  const g = loadNetworkGenesis({ genesis: file('donau-bttc.json'), deliveryGenesis: file('donau-delivery.json') }, devnet);
  assert.ok(isGethGenesis(g.bttc) && g.bttc.geth.chainId === 1029n);
  assert.throws(() => loadNetworkGenesis({ genesis: file('donau-bttc.json'), deliveryGenesis: null }, devnet), /node\.deliveryGenesis: needed with the geth-format genesis .*donau-bttc\.json/);
  assert.throws(() => loadNetworkGenesis({ genesis: file('mainnet-bttc.json'), deliveryGenesis: file('donau-delivery.json') }, devnet), /donau-delivery\.json: .*bor_chain_id: expected 199/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { dataDir: './d' } }, join(dir.path, 'n.json')), /n\.json: node\.genesis: expected a genesis file \(the devnet preset names none\)/);

  const k = generateValidatorKeys();
  const own = join(dir.path, 'g.json');
  writeFileSync(
    own,
    JSON.stringify({
      network: 'devnet',
      bttc: { time: 1700000000, alloc: { '0x00000000000000000000000000000000000000aa': { balance: '5' } } },
      delivery: { time: 1700000000000, validators: [{ id: 1, signer: bytesToHex(k.signer.address), pubKey: bytesToHex(k.signer.publicKey) }] },
    }),
  );
  const d = loadNetworkGenesis({ genesis: own }, devnet);
  assert.ok(!isGethGenesis(d.bttc) && d.bttc.time === 1700000000n && d.bttc.alloc?.[0]?.[1].balance === 5n);
  assert.equal(reconcileWithGenesis(devnet, d).config, devnet, 'nothing to compare in the devnet format');
  assert.throws(() => loadNetworkGenesis({ genesis: own, deliveryGenesis: file('mainnet-delivery.json') }, devnet), /node\.deliveryGenesis: only with a geth-format node\.genesis/);
});

test('Delivery genesis: bad fields are named with the file', () => {
  const good = readJson('mainnet-delivery.json');
  const edit = (fn: (j: { app_state: Record<string, Record<string, unknown>> } & Record<string, unknown>) => void) => {
    const j = structuredClone(good) as { app_state: Record<string, Record<string, unknown>> } & Record<string, unknown>;
    fn(j);
    return j;
  };
  const cases: [unknown, RegExp][] = [
    [edit((j) => (j.genesis_time = 'yesterday')), /d\.json: genesis_time: expected an RFC 3339 time/],
    [
      edit((j) => ((j.app_state.staking!.validators as { signer: string }[])[2]!.signer = '0x0000000000000000000000000000000000000001')),
      /d\.json: app_state\.staking\.validators\[2\]\.signer: expected 0x4c95a52686a9b3ff9cf787b94b8549a988334c57 \(the address of its pubKey\)/,
    ],
    [
      edit((j) => ((j.app_state.chainmanager!.params as { chain_params: Record<string, string> }).chain_params.tron_chain_address = '42' + '0'.repeat(40))),
      /chain_params\.tron_chain_address: expected a TRON address/,
    ],
    [edit((j) => ((j.app_state.checkpoint!.params as Record<string, string>).checkpoint_buffer_time = '1.5')), /checkpoint_buffer_time: expected whole seconds in nanoseconds/],
    [edit((j) => ((j.app_state.staking!.validators as { ID: string }[])[1]!.ID = '1')), /validators\[1\]\.ID: expected an id used once/],
  ];
  for (const [json, re] of cases)
    assert.throws(
      () => parseDeliveryGenesis(json, 'd.json'),
      (e: unknown) => e instanceof DeliveryGenesisError && re.test((e as Error).message),
      String(re),
    );
  const d = parseDeliveryGenesis(good, 'd.json');
  assert.deepEqual(d.span0, {
    startBlock: 0,
    endBlock: 255,
    borChainId: '199',
    validators: [6, 3, 7, 2, 1, 4, 5].map((id) => ({ id, accum: id === 6 ? -6n : 1n })),
    proposer: 6,
    producers: [6, 3, 7, 2, 1, 4, 5],
  });
  assert.deepEqual(d.bor, { sprint: 64, spanLength: 6400, producerCount: 11 });
  assert.equal(d.validators[0]!.pubKey?.slice(0, 10), '0x04e92a15');
});
