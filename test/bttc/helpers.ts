/** Shared fixtures for the Bttc tests: deterministic keys, sealed header chains. */
import { keccak256 } from '../../src/crypto/keccak.ts';
import { testKeys } from '../helpers/keys.ts';
import { compareBytes } from '../../src/util/bytes.ts';
import { u64be } from '../../src/db/level.ts';
import type { BuildRequest, BuildResult } from '../../src/bttc/producer/interface.ts';
import { buildExtra, isSprintEnd } from '../../src/bttc/engine/extra.ts';
import { EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH, headerHash } from '../../src/bttc/engine/header.ts';
import { sealHeader } from '../../src/bttc/engine/seal.ts';
import type { BorParams, BttcHeader, ProducerEntry } from '../../src/bttc/engine/types.ts';

export interface TestSigner {
  key: Uint8Array;
  address: Uint8Array;
}

/** `count` signers (the keys labelled `${salt}-i`) sorted by address. */
export function makeSigners(count: number, salt = 'bttc-test'): TestSigner[] {
  return testKeys(count, salt)
    .map((k) => ({ key: k.secret, address: k.address }))
    .sort((a, b) => compareBytes(a.address, b.address));
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

export function sealedChild(
  parent: BttcHeader,
  signer: TestSigner,
  opts: { time: bigint; difficulty: bigint; sprint: number; nextProducers?: readonly ProducerEntry[]; stateSalt?: number },
): BttcHeader {
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

import { RLP } from '@ethereumjs/rlp';
import { sign } from '../../src/crypto/secp256k1.ts';
import { bigintToMinimalBytes } from '../../src/bttc/engine/header.ts';
import { concatBytes } from '../../src/util/bytes.ts';
import type { AccountInfo, AccountReader } from '../../src/bttc/txpool/interface.ts';

export interface TxFields {
  nonce: bigint;
  gasPrice: bigint;
  gasLimit?: bigint;
  to?: Uint8Array | null;
  value?: bigint;
  data?: Uint8Array;
  chainId?: bigint;
  type?: 0 | 1;
}

function trimZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** Signs a legacy (EIP-155) or type-1 transaction with the native signer. */
export function signTx(f: TxFields, key: Uint8Array): Uint8Array {
  const u = bigintToMinimalBytes;
  const chainId = f.chainId ?? BigInt(testParams.chainId);
  const to = f.to === null ? new Uint8Array(0) : (f.to ?? new Uint8Array(20).fill(0x42));
  const common = [u(f.nonce), u(f.gasPrice), u(f.gasLimit ?? 21000n), to, u(f.value ?? 0n), f.data ?? new Uint8Array(0)];
  if (f.type === 1) {
    const body = [u(chainId), ...common, []];
    const { signature, recid } = sign(keccak256(concatBytes(new Uint8Array([1]), RLP.encode(body))), key);
    return concatBytes(new Uint8Array([1]), RLP.encode([...body, u(BigInt(recid)), trimZeros(signature.subarray(0, 32)), trimZeros(signature.subarray(32))]));
  }
  const { signature, recid } = sign(keccak256(RLP.encode([...common, u(chainId), new Uint8Array(0), new Uint8Array(0)])), key);
  return RLP.encode([...common, u(chainId * 2n + 35n + BigInt(recid)), trimZeros(signature.subarray(0, 32)), trimZeros(signature.subarray(32))]);
}

/** Accounts for the pool tests (the executor's state stands behind this interface in the node). */
export class MemAccounts implements AccountReader {
  readonly map = new Map<string, AccountInfo>();
  calls = 0;
  set(address: Uint8Array, info: AccountInfo): void {
    this.map.set(Buffer.from(address).toString('hex'), info);
  }
  async getAccounts(addresses: readonly Uint8Array[]): Promise<AccountInfo[]> {
    this.calls++;
    return addresses.map((a) => this.map.get(Buffer.from(a).toString('hex')) ?? { nonce: 0n, balance: 0n });
  }
}

/** What a fake executor returns for `req`: a header over a made-up state root, `gasUsed`, the first `included` txs. */
export function fakeBuildResult(req: BuildRequest, gasUsed = 0n, included = 0): BuildResult {
  const header: BttcHeader = {
    parentHash: req.parent.hash,
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: req.header.coinbase!,
    stateRoot: keccak256(concatBytes(req.parent.stateRoot, u64be(req.header.number))),
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: req.header.difficulty!,
    number: req.header.number,
    gasLimit: req.header.gasLimit,
    gasUsed,
    time: req.header.time,
    extra: req.header.extra!,
    mixDigest: req.header.mixDigest!,
    nonce: req.header.nonce!,
  };
  return {
    header,
    included: Array.from({ length: included }, (_, i) => i),
    rejected: [],
    notTried: 0,
    receipts: [],
    systemResults: [],
    timings: { decodeMs: 0, execMs: 0, systemMs: 0, commitMs: 0, rootsMs: 0, cpuMs: 0, queuedMs: 0 },
  };
}
