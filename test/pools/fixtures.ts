/** Shared test data for verifiers: a batch mixing valid, invalid and malformed items of every kind. */
import assert from 'node:assert/strict';
import type { VerifyItem, VerifyResult } from '../../src/pools/interface.ts';
import { signRsv, publicKeyCreate, SECP256K1_N } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { blsKeygen, blsSign, blsAggregateSignatures } from '../../src/crypto/bls.ts';
import { bytesToHex, uintToBytes } from '../../src/util/bytes.ts';
import { randomKey } from '../helpers/keys.ts';

export interface Expectation {
  ok: boolean;
  kind: string;
  reason?: RegExp;
  address?: string;
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** A valid recover item and the signer address it must give. */
export function recoverItem(): { item: VerifyItem; address: string } {
  const k = randomKey();
  const digest = randomBytes(32);
  return { item: { kind: 'secp256k1-recover', digest, signature: signRsv(digest, k.secret) }, address: k.addressHex };
}

export function verifyItem(compressed = false): VerifyItem {
  const k = randomKey();
  const digest = randomBytes(32);
  return { kind: 'secp256k1-verify', digest, signature: signRsv(digest, k.secret).subarray(0, 64), publicKey: compressed ? publicKeyCreate(k.secret, true) : k.publicKey };
}

let blsKeys: { secretKey: Uint8Array; publicKey: Uint8Array }[] | undefined;
export function blsItem(signers = 4): VerifyItem {
  blsKeys ??= Array.from({ length: 16 }, (_, i) => blsKeygen(new Uint8Array(32).fill(i + 1)));
  const message = randomBytes(32);
  const keys = blsKeys.slice(0, signers);
  return { kind: 'bls-fast-aggregate', message, publicKeys: keys.map((k) => k.publicKey), signature: blsAggregateSignatures(keys.map((k) => blsSign(k.secretKey, message))) };
}

function highS(sig: Uint8Array): Uint8Array {
  const out = sig.slice();
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i]!);
  out.set(uintToBytes(SECP256K1_N - s), 32);
  return out;
}

export function mixedBatch(): { items: VerifyItem[]; expect: Expectation[] } {
  const items: VerifyItem[] = [];
  const expect: Expectation[] = [];
  const add = (item: VerifyItem, e: Expectation) => {
    items.push(item);
    expect.push(e);
  };
  const R = 'secp256k1-recover';
  const V = 'secp256k1-verify';
  const B = 'bls-fast-aggregate';

  for (let i = 0; i < 3; i++) {
    const { item, address } = recoverItem();
    add(item, { ok: true, kind: R, address });
  }
  {
    const { item, address } = recoverItem();
    const sig = (item as { signature: Uint8Array }).signature.slice();
    sig[64]! += 27;
    add({ ...item, signature: sig } as VerifyItem, { ok: true, kind: R, address });
  }
  {
    const { item } = recoverItem();
    const sig = (item as { signature: Uint8Array }).signature;
    const hs = highS(sig.subarray(0, 64));
    const full = new Uint8Array(65);
    full.set(hs);
    full[64] = sig[64]! ^ 1;
    add({ kind: R, digest: (item as { digest: Uint8Array }).digest, signature: full }, { ok: false, kind: R, reason: /^invalid signature: s above/ });
  }
  {
    const { item } = recoverItem();
    const sig = (item as { signature: Uint8Array }).signature.slice();
    sig[64] = 5;
    add({ ...item, signature: sig } as VerifyItem, { ok: false, kind: R, reason: /^malformed: v must be/ });
  }
  add({ kind: R, digest: randomBytes(31), signature: randomBytes(65) }, { ok: false, kind: R, reason: /^malformed: digest/ });
  add({ kind: R, digest: randomBytes(32), signature: randomBytes(64) }, { ok: false, kind: R, reason: /^malformed: signature/ });
  // r = 0 is never a valid signature
  add({ kind: R, digest: randomBytes(32), signature: new Uint8Array(65) }, { ok: false, kind: R, reason: /^invalid signature/ });

  add(verifyItem(false), { ok: true, kind: V });
  add(verifyItem(true), { ok: true, kind: V });
  {
    const it = verifyItem() as { digest: Uint8Array } & VerifyItem;
    const d = it.digest.slice();
    d[5]! ^= 0x40;
    add({ ...it, digest: d } as VerifyItem, { ok: false, kind: V, reason: /^invalid signature$/ });
  }
  {
    const it = verifyItem() as { signature: Uint8Array } & VerifyItem;
    add({ ...it, signature: highS(it.signature) } as VerifyItem, { ok: false, kind: V, reason: /s above/ });
  }
  {
    const it = verifyItem() as { publicKey: Uint8Array } & VerifyItem;
    const pk = it.publicKey.slice();
    pk[0] = 7;
    add({ ...it, publicKey: pk } as VerifyItem, { ok: false, kind: V, reason: /^malformed: publicKey/ });
  }
  {
    // x = 5 is not the x coordinate of a curve point: right shape, not a key
    const pk = new Uint8Array(33);
    pk[0] = 2;
    pk[32] = 5;
    add({ ...(verifyItem() as object), publicKey: pk } as VerifyItem, { ok: false, kind: V, reason: /^invalid/ });
  }
  add({ kind: V, digest: randomBytes(32), signature: randomBytes(65), publicKey: randomKey().publicKey }, { ok: false, kind: V, reason: /^malformed: signature/ });

  add(blsItem(4), { ok: true, kind: B });
  add(blsItem(1), { ok: true, kind: B });
  {
    const it = blsItem(3) as { message: Uint8Array } & VerifyItem;
    add({ ...it, message: randomBytes(32) } as VerifyItem, { ok: false, kind: B, reason: /^invalid signature$/ });
  }
  {
    const it = blsItem(3) as { publicKeys: Uint8Array[] } & VerifyItem;
    add({ ...it, publicKeys: [it.publicKeys[0]!, new Uint8Array(48).fill(0xaa), it.publicKeys[2]!] } as VerifyItem, { ok: false, kind: B, reason: /^malformed: .*public key 1/ });
  }
  {
    const it = blsItem(2) as { signature: Uint8Array } & VerifyItem;
    add({ ...it, signature: it.signature.subarray(0, 95) } as VerifyItem, { ok: false, kind: B, reason: /^malformed: signature/ });
  }
  add({ ...(blsItem(2) as object), publicKeys: [] } as unknown as VerifyItem, { ok: false, kind: B, reason: /^malformed: publicKeys/ });
  add({ kind: 'nonsense' } as unknown as VerifyItem, { ok: false, kind: 'nonsense', reason: /^malformed: unknown kind/ });
  return { items, expect };
}

export function checkMixedResults(results: readonly VerifyResult[], expect: readonly Expectation[]): void {
  assert.equal(results.length, expect.length);
  results.forEach((r, i) => {
    const e = expect[i]!;
    const where = `item ${i} (${e.kind}): ${JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint8Array ? bytesToHex(v) : v))}`;
    assert.equal(r.ok, e.ok, where);
    assert.equal(r.kind, e.kind, where);
    if (!r.ok && e.reason) assert.match(r.reason, e.reason, where);
    if (e.address) {
      assert.ok(r.ok && r.kind === 'secp256k1-recover', where);
      assert.equal(bytesToHex(r.address), e.address, where);
      assert.equal(r.publicKey.length, 65, where);
      assert.equal(bytesToHex(addressFromPublicKey(r.publicKey)), e.address, where);
    }
  });
}
