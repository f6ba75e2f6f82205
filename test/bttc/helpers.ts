/** Shared fixtures for the Bttc tests: deterministic keys, sealed header chains. */
import { keccak256 } from '../../src/crypto/keccak.ts';
import { publicKeyCreate } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { compareBytes } from '../../src/util/bytes.ts';
import { buildExtra, isSprintEnd } from '../../src/bttc/engine/extra.ts';
import { EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH, headerHash } from '../../src/bttc/engine/header.ts';
import { sealHeader } from '../../src/bttc/engine/seal.ts';
import type { BorParams, BttcHeader, ProducerEntry } from '../../src/bttc/engine/types.ts';

export interface TestSigner {
  key: Uint8Array;
  address: Uint8Array;
}

/** `count` signers sorted by address. */
export function makeSigners(count: number, salt = 'bttc-test'): TestSigner[] {
  const out: TestSigner[] = [];
  for (let i = 0; i < count; i++) {
    const key = keccak256(new TextEncoder().encode(`${salt}-${i}`));
    out.push({ key, address: addressFromPublicKey(publicKeyCreate(key, false)) });
  }
  return out.sort((a, b) => compareBytes(a.address, b.address));
}

export function producersOf(signers: readonly TestSigner[], power = 1n): ProducerEntry[] {
  return signers.map((s) => ({ address: s.address, power }));
}

export const testParams: BorParams = { period: 2, producerDelay: 6, backupMultiplier: 2, sprint: 4, maxFutureBlockTime: 3, chainId: 1337 };

export function genesisHeader(time = 1_000_000n, gasLimit = 20_000_000n): BttcHeader {
  return {
    parentHash: new Uint8Array(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32).fill(7),
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: 1n,
    number: 0n,
    gasLimit,
    gasUsed: 0n,
    time,
    extra: new Uint8Array(32 + 65),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
  };
}

/** An unsealed child of `parent`; the producer list is included at sprint ends when given. */
export function childHeader(parent: BttcHeader, opts: { time: bigint; difficulty: bigint; sprint: number; nextProducers?: readonly ProducerEntry[]; stateSalt?: number }): BttcHeader {
  const number = parent.number + 1n;
  const producers = isSprintEnd(number, opts.sprint) ? (opts.nextProducers ?? null) : null;
  return {
    ...genesisHeader(opts.time, parent.gasLimit),
    parentHash: headerHash(parent),
    stateRoot: keccak256(new Uint8Array([Number(number & 0xffn), opts.stateSalt ?? 0])),
    number,
    difficulty: opts.difficulty,
    extra: buildExtra(new Uint8Array(32), producers),
  };
}

export function sealedChild(parent: BttcHeader, signer: TestSigner, opts: { time: bigint; difficulty: bigint; sprint: number; nextProducers?: readonly ProducerEntry[]; stateSalt?: number }): BttcHeader {
  return sealHeader(childHeader(parent, opts), signer.key);
}

/** An in-memory header reader. */
export class MemHeaders {
  readonly byHash = new Map<string, BttcHeader>();
  add(h: BttcHeader): Uint8Array {
    const hash = headerHash(h);
    this.byHash.set(Buffer.from(hash).toString('hex'), h);
    return hash;
  }
  async getHeaderByHash(hash: Uint8Array): Promise<BttcHeader | undefined> {
    return this.byHash.get(Buffer.from(hash).toString('hex'));
  }
}

