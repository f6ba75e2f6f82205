/**
 * eth_getProof and eth_createAccessList over JSON-RPC, served by a call worker. Proofs are checked
 * against the block's stateRoot with EthereumJS's MPT proof verifier (it rebuilds the trie from the
 * proof nodes and requires the first node to hash to the root given), plus a plain RLP decode of the
 * proven account: an existing contract, an EOA, an account and a slot that do not exist, an old block.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifyMerkleProof } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from '../../src/evm/crypto.ts';
import { EMPTY_TRIE_ROOT } from '../../src/evm/block.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { storageKey } from '../../src/rpc/state-proofs.ts';
import { balanceSlot, PROBE, probeIface, startCallChain, SUPPLY, TOKEN, tokenIface, type CallChain } from './call-devchain.ts';

let c: CallChain;

before(async () => {
  c = await startCallChain();
});

after(async () => {
  await c.close();
});

interface ProofJson {
  address: string;
  accountProof: string[];
  balance: string;
  codeHash: string;
  nonce: string;
  storageHash: string;
  storageProof: { key: string; value: string; proof: string[] }[];
}

async function proof(address: Uint8Array, keys: string[], block: unknown = 'latest'): Promise<ProofJson> {
  const r = await c.rpc('eth_getProof', [bytesToHex(address), keys, block]);
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  return r.result as ProofJson;
}

const big = (b: Uint8Array) => (b.length === 0 ? 0n : BigInt(bytesToHex(b)));

/** The account the proof proves (or null for a proof of absence), checked field by field against the answer. */
async function verifyAccount(p: ProofJson, stateRoot: Uint8Array): Promise<'present' | 'absent'> {
  const nodes = p.accountProof.map(hexToBytes);
  assert.equal(bytesToHex(keccak256(nodes[0]!)), bytesToHex(stateRoot), 'the first node is the state root');
  const value = await verifyMerkleProof(hexToBytes(p.address), nodes, { root: stateRoot, useKeyHashing: true });
  if (value === null) {
    assert.equal(p.balance, '0x0');
    assert.equal(p.nonce, '0x0');
    assert.equal(p.codeHash, bytesToHex(keccak256(new Uint8Array(0))));
    assert.equal(p.storageHash, bytesToHex(EMPTY_TRIE_ROOT));
    return 'absent';
  }
  const [nonce, balance, storageRoot, codeHash] = RLP.decode(value) as Uint8Array[];
  assert.equal(BigInt(p.nonce), big(nonce!));
  assert.equal(BigInt(p.balance), big(balance!));
  assert.equal(p.storageHash, bytesToHex(storageRoot!));
  assert.equal(p.codeHash, bytesToHex(codeHash!));
  return 'present';
}

async function verifySlot(s: ProofJson['storageProof'][number], storageHash: string, slot: Uint8Array): Promise<bigint | null> {
  if (storageHash === bytesToHex(EMPTY_TRIE_ROOT)) {
    assert.deepEqual(s.proof, []);
    return null;
  }
  const v = await verifyMerkleProof(slot, s.proof.map(hexToBytes), { root: hexToBytes(storageHash), useKeyHashing: true });
  if (v === null) {
    assert.equal(s.value, '0x0');
    return null;
  }
  const stored = big(RLP.decode(v) as Uint8Array);
  assert.equal(BigInt(s.value), stored);
  return stored;
}

test('eth_getProof: a contract account and its slots, present and absent, verify against the block state root', async () => {
  const a = c.accounts;
  const before = c.dev.chain.head();
  await c.send(a[0]!, { to: TOKEN, data: hexToBytes(tokenIface.encodeFunctionData('transfer', [bytesToHex(a[1]!.address), 250n])) });
  const head = c.dev.chain.head();
  const keyA = bytesToHex(balanceSlot(a[0]!.address));
  const p = await proof(TOKEN, ['0x0', keyA, '0x1234'], bytesToHex(head.hash));
  assert.equal(p.address, bytesToHex(TOKEN));
  assert.equal(await verifyAccount(p, head.header.stateRoot), 'present');
  assert.equal(p.storageProof.length, 3);
  // Keys echo as geth does: a full 32-byte key as given, a short one as a quantity.
  assert.deepEqual(
    p.storageProof.map((s) => s.key),
    ['0x0', keyA, '0x1234'],
  );
  assert.equal(await verifySlot(p.storageProof[0]!, p.storageHash, new Uint8Array(32)), SUPPLY);
  assert.equal(await verifySlot(p.storageProof[1]!, p.storageHash, balanceSlot(a[0]!.address)), SUPPLY - 250n);
  assert.equal(p.storageProof[1]!.value, '0x' + (SUPPLY - 250n).toString(16));
  assert.equal(await verifySlot(p.storageProof[2]!, p.storageHash, storageKey('0x1234', 'k').slot), null, 'a slot never written: proof of absence');
  assert.equal(p.storageProof[2]!.value, '0x0');

  // The block before the transfer: the older balance, against the older root.
  const old = await proof(TOKEN, [keyA], { blockHash: bytesToHex(before.hash) });
  assert.equal(await verifyAccount(old, before.header.stateRoot), 'present');
  assert.equal(await verifySlot(old.storageProof[0]!, old.storageHash, balanceSlot(a[0]!.address)), SUPPLY);
  assert.notEqual(old.storageHash, p.storageHash);
});

test('eth_getProof: an EOA, and an account that does not exist', async () => {
  const head = c.dev.chain.head();
  const eoa = await proof(c.accounts[2]!.address, []);
  assert.equal(await verifyAccount(eoa, head.header.stateRoot), 'present');
  assert.equal(eoa.balance, '0x' + (10n ** 22n).toString(16));
  assert.equal(eoa.storageHash, bytesToHex(EMPTY_TRIE_ROOT));
  assert.deepEqual(eoa.storageProof, []);

  const nobody = hexToBytes('0x' + 'ab'.repeat(20));
  const none = await proof(nobody, ['0x01']);
  assert.equal(await verifyAccount(none, head.header.stateRoot), 'absent');
  assert.ok(none.accountProof.length > 0, 'a proof of absence still walks from the root');
  assert.deepEqual(none.storageProof, [{ key: '0x1', value: '0x0', proof: [] }]);
});

test('eth_getProof: argument errors name the argument; an unknown block is "header not found"', async () => {
  let r = await c.rpc('eth_getProof', [bytesToHex(TOKEN), ['0xzz'], 'latest']);
  assert.equal(r.error?.code, -32602);
  assert.match(r.error!.message, /storageKeys\[0\]/);
  r = await c.rpc('eth_getProof', [bytesToHex(TOKEN), ['0x' + '11'.repeat(33)], 'latest']);
  assert.equal(r.error?.code, -32602);
  r = await c.rpc('eth_getProof', [bytesToHex(TOKEN), [], '0xffff']);
  assert.deepEqual(r.error, { code: -32000, message: 'header not found' });
});

test('eth_createAccessList: the slots and contracts a call touches, the gas it uses with them, and a revert', async () => {
  const a = c.accounts;
  // bump(): writes Probe.counter (slot 0) and reads the token's balance of a[0].
  const call = { from: bytesToHex(a[0]!.address), to: bytesToHex(PROBE), data: probeIface.encodeFunctionData('bump', [bytesToHex(TOKEN), bytesToHex(a[0]!.address)]) };
  const r = await c.rpc('eth_createAccessList', [call, 'latest']);
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  const res = r.result as { accessList: { address: string; storageKeys: string[] }[]; gasUsed: string; error?: string };
  const byAddr = new Map(res.accessList.map((e) => [e.address, e.storageKeys]));
  assert.deepEqual(byAddr.get(bytesToHex(PROBE)), [bytesToHex(new Uint8Array(32))]);
  assert.deepEqual(byAddr.get(bytesToHex(TOKEN)), [bytesToHex(balanceSlot(a[0]!.address))]);
  assert.equal(res.accessList.length, 2, 'the sender is not listed');
  assert.equal(res.error, undefined);
  // With the list attached the call costs its intrinsic list price and saves cold-access surcharges.
  const plain = await c.rpc('eth_estimateGas', [call, 'latest']);
  const used = BigInt(res.gasUsed);
  assert.ok(used > 21_000n && used < BigInt(plain.result as string) + 5000n, `gasUsed ${used}`);

  const bad = await c.rpc('eth_createAccessList', [{ from: bytesToHex(a[3]!.address), to: bytesToHex(TOKEN), data: tokenIface.encodeFunctionData('transfer', [bytesToHex(a[1]!.address), 1n]) }]);
  const badRes = bad.result as { accessList: { address: string; storageKeys: string[] }[]; error?: string };
  assert.equal(badRes.error, 'execution reverted');
  assert.deepEqual(
    badRes.accessList.map((e) => e.address),
    [bytesToHex(TOKEN)],
  );
});
