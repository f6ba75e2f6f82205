/** `bttc-node keys` as a real process: file mode, refusal to overwrite, addresses checked against ethers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Wallet, SigningKey } from 'ethers';
import { readKeyFile } from '../../src/node/keys.ts';

const BIN = resolve(import.meta.dirname, '../../bin/bttc-node');

test('keys: writes a 0600 file whose addresses and public key match the private keys, refuses to overwrite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-keys-'));
  try {
    const out = JSON.parse(execFileSync(BIN, ['keys', '--out', dir, '--json'], { encoding: 'utf8' })) as {
      file: string;
      owner: { address: string; tronAddress: string };
      signer: { address: string; publicKey: string };
    };
    const file = join(dir, 'validator-keys.json');
    assert.equal(out.file, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { owner: { privateKey: string }; signer: { privateKey: string } };
    assert.equal(new Wallet(json.owner.privateKey).address, out.owner.address);
    assert.equal(new Wallet(json.signer.privateKey).address, out.signer.address);
    assert.equal(new SigningKey(json.signer.privateKey).publicKey, out.signer.publicKey);
    assert.match(out.owner.tronAddress, /^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    assert.notEqual(json.owner.privateKey, json.signer.privateKey);
    const before = readFileSync(file, 'utf8');
    const again = spawnSync(BIN, ['keys', '--out', dir], { encoding: 'utf8' });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists: refusing to overwrite/);
    assert.equal(readFileSync(file, 'utf8'), before, 'file untouched');
    assert.equal(readKeyFile(file).signer.publicKey.length, 65);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readKeyFile names the bad field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-keys-'));
  try {
    const f = join(dir, 'k.json');
    const good = { owner: { privateKey: '0x' + '11'.repeat(32) }, signer: { privateKey: '0x' + '22'.repeat(32) } };
    writeFileSync(f, JSON.stringify({ ...good, signer: { privateKey: '0x1234' } }), { mode: 0o600 });
    assert.throws(() => readKeyFile(f), /signer\.privateKey/);
    writeFileSync(f, JSON.stringify({ ...good, owner: { ...good.owner, address: '0x' + '00'.repeat(20) } }));
    assert.throws(() => readKeyFile(f), /owner\.address: expected 0x/);
    writeFileSync(f, JSON.stringify({ ...good, owner: { privateKey: '0x' + '00'.repeat(32) } }));
    assert.throws(() => readKeyFile(f), /owner\.privateKey: not a valid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
