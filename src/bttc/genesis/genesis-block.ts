/**
 * The genesis block of a geth-format genesis: the state root of its alloc (accounts with balance,
 * nonce, code and storage in a secure Merkle-Patricia trie, as geth's `Genesis.ToBlock` builds it)
 * and its header, whose hash is the chain's genesis hash.
 */
import { RLP } from '@ethereumjs/rlp';
import { createMPT } from '@ethereumjs/mpt';
import { keccak256 } from '../../crypto/keccak.ts';
import { hexToBytes } from '../../util/bytes.ts';
import { EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH, headerHash } from '../engine/header.ts';
import type { BttcHeader } from '../engine/types.ts';
import type { GenesisAlloc, GethGenesis } from './geth-genesis.ts';

function minimal(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const hex = v.toString(16);
  return hexToBytes(`0x${hex.length % 2 ? '0' : ''}${hex}`);
}

function trimLeftZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** Root of one account's storage trie: keccak(slot) → rlp(value without leading zeros). */
export async function storageRoot(storage: Map<string, Uint8Array>): Promise<Uint8Array> {
  if (storage.size === 0) return EMPTY_TRIE_ROOT;
  const trie = await createMPT({ useKeyHashing: true });
  for (const [slot, value] of storage) await trie.put(hexToBytes(slot), RLP.encode(trimLeftZeros(value)));
  return trie.root();
}

/** Root of the state trie of an alloc: keccak(address) → rlp([nonce, balance, storageRoot, codeHash]). */
export async function allocStateRoot(alloc: GenesisAlloc): Promise<Uint8Array> {
  const trie = await createMPT({ useKeyHashing: true });
  for (const [address, acc] of alloc) {
    const account = RLP.encode([minimal(acc.nonce), minimal(acc.balance), await storageRoot(acc.storage), keccak256(acc.code)]);
    await trie.put(hexToBytes(address), account);
  }
  return trie.root();
}

export async function genesisHeader(g: GethGenesis): Promise<BttcHeader> {
  return {
    parentHash: g.parentHash,
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: g.coinbase,
    stateRoot: await allocStateRoot(g.alloc),
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: g.difficulty,
    number: g.number,
    gasLimit: g.gasLimit,
    gasUsed: g.gasUsed,
    time: g.timestamp,
    extra: g.extraData,
    mixDigest: g.mixHash,
    nonce: g.nonce,
  };
}

export async function genesisBlockSummary(g: GethGenesis): Promise<{ hash: Uint8Array; stateRoot: Uint8Array; chainId: bigint; header: BttcHeader }> {
  const header = await genesisHeader(g);
  return { hash: headerHash(header), stateRoot: header.stateRoot, chainId: g.chainId, header };
}
