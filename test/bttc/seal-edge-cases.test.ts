/**
 * Seals are accepted and refused exactly as BTTC's Bor recovers them (spec §"Bor seal recovery edge
 * cases"): the recovery id byte must be 0 or 1 (27/28 refused), and a high-s seal — the same
 * signature with s' = n − s and the other recovery id — is accepted, since ecrecover has no low-s
 * rule. A divergence either way lets one hostile producer split this node from BTTC's own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECP256K1_N } from '../../src/crypto/secp256k1.ts';
import { EXTRA_SEAL } from '../../src/bttc/engine/extra.ts';
import { headerHash } from '../../src/bttc/engine/header.ts';
import { recoverSignerUncached, SealError, SignerCache } from '../../src/bttc/engine/seal.ts';
import type { BttcHeader } from '../../src/bttc/engine/types.ts';
import { bytesToHex, equalBytes } from '../../src/util/bytes.ts';
import { genesisHeader, makeSigners, sealedChild } from './helpers.ts';

const [signer] = makeSigners(1);

function withSeal(h: BttcHeader, edit: (seal: Uint8Array) => void): BttcHeader {
  const extra = h.extra.slice();
  edit(extra.subarray(extra.length - EXTRA_SEAL));
  return { ...h, extra };
}

function toHighS(seal: Uint8Array): void {
  const s = BigInt(bytesToHex(seal.subarray(32, 64)));
  const high = SECP256K1_N - s;
  seal.set(Buffer.from(high.toString(16).padStart(64, '0'), 'hex'), 32);
  seal[64] = seal[64]! ^ 1;
}

test('a seal with v = 27 or 28 is refused; 2 and 3 too', () => {
  const sealed = sealedChild(genesisHeader(), signer!, { time: 1_000_002n, difficulty: 1n, sprint: 4 });
  for (const add of [27, 2]) {
    const bad = withSeal(sealed, (seal) => void (seal[64] = seal[64]! + add));
    assert.throws(
      () => recoverSignerUncached(bad),
      (e: unknown) => e instanceof SealError && /expected 0 or 1/.test((e as Error).message),
    );
  }
});

test('the high-s twin of a valid seal recovers the same signer and is accepted', () => {
  for (let i = 0; i < 8; i++) {
    const sealed = sealedChild(genesisHeader(), signer!, { time: 1_000_002n + BigInt(i), difficulty: 1n, sprint: 4 });
    const high = withSeal(sealed, toHighS);
    const s = BigInt(bytesToHex(high.extra.subarray(high.extra.length - 33, high.extra.length - 1)));
    assert.ok(s > SECP256K1_N / 2n, 'the twin really has a high s');
    assert.ok(equalBytes(recoverSignerUncached(high), signer!.address));
    // A different block hash (the seal is part of the header), the same signer through the cache.
    assert.notEqual(bytesToHex(headerHash(high)), bytesToHex(headerHash(sealed)));
    assert.ok(equalBytes(new SignerCache().recover(high), signer!.address));
  }
});
