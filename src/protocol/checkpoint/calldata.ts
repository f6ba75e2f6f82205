/**
 * Root-chain calldata for a collected signature set: signatures sorted strictly ascending by signer,
 * each as a uint256 triple [R, S, V] with V = v + 27 (spec §4).
 */
import { encodeBytesAndTriples } from '../../abi/encode.ts';
import { bytesToBigInt, hexToBytes } from '../../util/bytes.ts';

/** RootChain.submitCheckpoint(bytes,uint256[3][]) */
export const SUBMIT_CHECKPOINT_SELECTOR = '0x4e43e495';
/** StakeManager.submitCheckpointSync(bytes,uint256[3][]) */
export const SUBMIT_CHECKPOINT_SYNC_SELECTOR = '0xd2ada573';

export interface SignerSignature {
  /** 20-byte signer address, lower-case 0x-hex. */
  signer: string;
  /** 65 bytes r ‖ s ‖ v, v ∈ {0, 1, 27, 28}. */
  signature: Uint8Array;
}

export type RsvTriple = readonly [bigint, bigint, bigint];

/** [R, S, V] with V ∈ {27, 28}. */
export function toRootChainTriple(signature: Uint8Array): RsvTriple {
  if (signature.length !== 65) throw new RangeError(`signature must be 65 bytes, got ${signature.length}`);
  const v = signature[64]!;
  if (v !== 0 && v !== 1 && v !== 27 && v !== 28) throw new RangeError(`signature v must be 0, 1, 27 or 28, got ${v}`);
  return [bytesToBigInt(signature.subarray(0, 32)), bytesToBigInt(signature.subarray(32, 64)), BigInt(v < 27 ? v + 27 : v)];
}

/** Sorted strictly ascending by signer; a repeated signer is an error (the contract would skip it). */
export function sortForRootChain(sigs: readonly SignerSignature[]): SignerSignature[] {
  const sorted = [...sigs].sort((a, b) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.signer === sorted[i - 1]!.signer) throw new RangeError(`signer ${sorted[i]!.signer} appears twice`);
  return sorted;
}

export function submitCheckpointCalldata(signBytes: Uint8Array, sigs: readonly SignerSignature[]): Uint8Array {
  return encodeBytesAndTriples(
    hexToBytes(SUBMIT_CHECKPOINT_SELECTOR),
    signBytes,
    sortForRootChain(sigs).map((s) => toRootChainTriple(s.signature)),
  );
}

export function submitCheckpointSyncCalldata(signBytes: Uint8Array, sigs: readonly SignerSignature[]): Uint8Array {
  return encodeBytesAndTriples(
    hexToBytes(SUBMIT_CHECKPOINT_SYNC_SELECTOR),
    signBytes,
    sortForRootChain(sigs).map((s) => toRootChainTriple(s.signature)),
  );
}
