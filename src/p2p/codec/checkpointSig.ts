/**
 * Gossip payload of the checkpoint-sig topic: one validator's signature over a checkpoint's sign
 * bytes (bttc-protocol.md §4), 119 bytes:
 *   version u8 ‖ rootChainId u8 ‖ voteHash 32 ‖ signer address 20 ‖ signature 65 (r ‖ s ‖ v, v ∈ {0,1})
 * `voteHash` = keccak256(0x01 ‖ data) names the checkpoint; receivers that hold the proposal
 * recover the signer from (voteHash, signature) and must find `signer` (the address lets them drop
 * non-validators before spending a recovery).
 */
import { Reader, Writer, decodeErr, type DecodeResult } from './result.ts';

export const CHECKPOINT_SIG_VERSION = 1;
export const CHECKPOINT_SIG_BYTES = 119;

export interface CheckpointSigMessage {
  /** Delivery's root chain id: TRON 1, Ethereum 2, BSC 3. */
  rootChainId: number;
  voteHash: Uint8Array;
  signer: Uint8Array;
  signature: Uint8Array;
}

export function encodeCheckpointSig(m: CheckpointSigMessage): Uint8Array {
  if (!Number.isInteger(m.rootChainId) || m.rootChainId < 0 || m.rootChainId > 255) throw new RangeError(`checkpoint sig: rootChainId ${m.rootChainId} is not a byte`);
  if (m.voteHash.length !== 32) throw new RangeError(`checkpoint sig: voteHash is ${m.voteHash.length} bytes, expected 32`);
  if (m.signer.length !== 20) throw new RangeError(`checkpoint sig: signer is ${m.signer.length} bytes, expected 20`);
  if (m.signature.length !== 65) throw new RangeError(`checkpoint sig: signature is ${m.signature.length} bytes, expected 65`);
  return new Writer(CHECKPOINT_SIG_BYTES).u8(CHECKPOINT_SIG_VERSION).u8(m.rootChainId).bytes(m.voteHash).bytes(m.signer).bytes(m.signature).finish();
}

export function decodeCheckpointSig(bytes: Uint8Array): DecodeResult<CheckpointSigMessage> {
  const r = new Reader(bytes, 'checkpoint sig');
  const version = r.u8('version');
  const rootChainId = r.u8('rootChainId');
  const voteHash = r.bytesN(32, 'voteHash');
  const signer = r.bytesN(20, 'signer');
  const signature = r.bytesN(65, 'signature');
  if (!r.failed && version !== CHECKPOINT_SIG_VERSION) return decodeErr('bad-version', `checkpoint sig: version ${version}, expected ${CHECKPOINT_SIG_VERSION}`);
  if (!r.failed && signature[64]! > 1) r.fail('bad-value', `signature v is ${signature[64]}, expected 0 or 1`);
  return r.finish({ rootChainId, voteHash: voteHash.slice(), signer: signer.slice(), signature: signature.slice() });
}
