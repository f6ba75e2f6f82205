/** `bttc-node start --config`: a bad config or a missing piece is named; the node file format's defaults and paths. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseNodeFile, roleOf } from '../../src/node/config.ts';
import { parseNetworkGenesis } from '../../src/node/genesis.ts';
import { decodeNetworkBlock, encodeNetworkBlock } from '../../src/p2p/codec/block.ts';
import { generateValidatorKeys, writeKeyFile } from '../../src/node/keys.ts';
import { genesisHeader } from '../bttc/helpers.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const BIN = resolve(import.meta.dirname, '../../bin/bttc-node');
const node = { dataDir: './d', keys: './k.json', genesis: './g.json' };

test('node file: defaults filled, paths resolved against the file, errors name the field', () => {
  const f = parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { port: 9000 } } }, '/etc/bttc/node.json');
  assert.equal(f.node.dataDir, '/etc/bttc/d');
  assert.equal(f.node.rpc.port, 9000);
  assert.equal(f.node.rpc.host, '127.0.0.1');
  assert.equal(f.node.executor, 'worker');
  assert.equal(f.config.bttc.chainId, 1337199);
  assert.equal(f.node.tron.maxFeeLimitSun, 1_000_000_000n, 'TRON fee limit cap defaults to 1000 TRX');
  assert.equal(parseNodeFile({ preset: 'devnet', node: { ...node, tron: { maxFeeLimitSun: '250000000' } } }, 'n.json').node.tron.maxFeeLimitSun, 250_000_000n);
  assert.throws(
    () => parseNodeFile({ preset: 'devnet', node: { ...node, tron: { maxFeeLimitSun: 'lots' } } }, 'n.json'),
    /n\.json: node\.tron\.maxFeeLimitSun: expected a whole number as a decimal string ≥ 1, got "lots"/,
  );
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, tron: { feeLimit: 1 } } }, 'n.json'), /node\.tron\.feeLimit: expected no such field/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, rpc: { port: 70000 } } }, 'n.json'), /n\.json: node\.rpc\.port: expected an integer from 0 to 65535, got 70000/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, p2p: { listen: ['tcp:1'] } } }, 'n.json'), /node\.p2p\.listen\[0\]: expected a multiaddr/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, colour: 'blue' } }, 'n.json'), /node\.colour: expected no such field/);
  // The state cache's byte bound and Delivery's empty-block interval: defaults, and bad values named.
  assert.deepEqual([f.node.stateCacheMB, f.node.deliveryEmptyBlockMs], [256, 0]);
  assert.equal(parseNodeFile({ preset: 'devnet', node: { ...node, stateCacheMB: 64, deliveryEmptyBlockMs: 5000 } }, 'n.json').node.stateCacheMB, 64);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, stateCacheMB: 0 } }, 'n.json'), /n\.json: node\.stateCacheMB: expected an integer from 1 to 1048576, got 0/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, deliveryEmptyBlockMs: -5 } }, 'n.json'), /n\.json: node\.deliveryEmptyBlockMs: expected an integer from 0 to 600000, got -5/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', set: { bttc: { period: 'two' } }, node }, 'n.json'), /n\.json: set\.bttc\.period/);
  assert.throws(
    () => parseNodeFile({ preset: 'devnet', node: { ...node, rootChains: [{ id: 9, startBlock: 0 }] } }, 'n.json'),
    /node\.rootChains\[0\]\.id: expected the id of a configured root chain/,
  );
});

test('node file: keys left out or null runs a follower; a bad keys value is named', () => {
  const { keys: _keys, ...noKeys } = node;
  assert.equal(roleOf(parseNodeFile({ preset: 'devnet', node }, '/etc/bttc/node.json').node), 'validator');
  assert.equal(parseNodeFile({ preset: 'devnet', node }, '/etc/bttc/node.json').node.keys, '/etc/bttc/k.json');
  const absent = parseNodeFile({ preset: 'devnet', node: noKeys }, '/etc/bttc/node.json');
  assert.equal(absent.node.keys, null);
  assert.equal(roleOf(absent.node), 'follower');
  assert.equal(parseNodeFile({ preset: 'devnet', node: { ...node, keys: null } }, 'n.json').node.keys, null);
  assert.throws(
    () => parseNodeFile({ preset: 'devnet', node: { ...node, keys: 5 } }, 'n.json'),
    /n\.json: node\.keys: expected the path of a validator key file \(leave "keys" out, or null, to run a follower\), got 5/,
  );
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, keys: '' } }, 'n.json'), /node\.keys: expected the path of a validator key file/);
  assert.throws(() => parseNodeFile({ preset: 'devnet', node: { ...node, keys: false } }, 'n.json'), /node\.keys: expected the path .*got false/);
});

test('network genesis: the signer must be the address of its public key', () => {
  const k = generateValidatorKeys();
  const good = { network: 'x', bttc: { time: 1, alloc: {} }, delivery: { time: 1000, validators: [{ id: 1, signer: bytesToHex(k.signer.address), pubKey: bytesToHex(k.signer.publicKey) }] } };
  assert.equal(parseNetworkGenesis(good, 'g').delivery.validators[0]!.signer, bytesToHex(k.signer.address));
  const bad = structuredClone(good);
  bad.delivery.validators[0]!.signer = bytesToHex(k.owner.address);
  assert.throws(() => parseNetworkGenesis(bad, 'g.json'), /g\.json: delivery\.validators\[0\]\.signer: expected 0x/);
});

test('gossip block codec round-trips and refuses garbage', () => {
  const b = { header: genesisHeader(), txs: [Uint8Array.of(1, 2, 3)] };
  const d = decodeNetworkBlock(encodeNetworkBlock(b));
  assert.deepEqual(d.txs, b.txs);
  assert.equal(d.header.time, b.header.time);
  assert.throws(() => decodeNetworkBlock(Uint8Array.of(0xc0)));
});

test('start: a bad config and a root chain without addresses are named, not run', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-start-'));
  try {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ preset: 'devnet', node: { ...node, executor: 'gpu' } }));
    let r = spawnSync(BIN, ['start', '--config', join(dir, 'bad.json')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad config: .*bad\.json: node\.executor: expected one of "worker", "inline", got "gpu"/);

    const k = generateValidatorKeys();
    writeKeyFile(join(dir, 'k.json'), k);
    writeFileSync(
      join(dir, 'g.json'),
      JSON.stringify({
        network: 'devnet',
        bttc: { time: 1700000000, alloc: {} },
        delivery: { time: 1700000000000, validators: [{ id: 1, signer: bytesToHex(k.signer.address), pubKey: bytesToHex(k.signer.publicKey) }] },
      }),
    );
    writeFileSync(
      join(dir, 'n.json'),
      JSON.stringify({ preset: 'devnet', node: { ...node, verifyThreads: 0, executor: 'inline', p2p: { listen: ['/ip4/127.0.0.1/tcp/0'] }, rpc: { port: 0 }, rest: { port: 0 } } }),
    );
    r = spawnSync(BIN, ['start', '--config', join(dir, 'n.json')], { encoding: 'utf8', env: { ...process.env, BTTC_LOG_LEVEL: 'silent' }, timeout: 50_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /rootChains\[0\]\.stakeManager \(ethereum\) is not set: give it under "set" in the config file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
