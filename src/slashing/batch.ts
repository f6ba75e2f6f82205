/**
 * The payload Delivery's validators sign for a batch of final slashes and the SlashingManager takes:
 * data = abi.encode(uint256 slashingNonce, address proposer, bytes slashes), slashes =
 * abi.encode((uint256 validatorId, uint256 selfBps, uint256 delegatorBps, uint256 jailEpochs,
 * bytes32 evidenceHash)[]). Signatures are over keccak256(0x01 ‖ data), as checkpoints.
 */
import { AbiCoder } from 'ethers';
import { keccak256 } from '../crypto/keccak.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../util/bytes.ts';

export interface FinalSlash {
  validatorId: bigint;
  selfBps: number;
  delegatorBps: number;
  jailEpochs: number;
  evidenceHash: string;
}

const SLASH_TUPLE = 'tuple(uint256 validatorId, uint256 selfBps, uint256 delegatorBps, uint256 jailEpochs, bytes32 evidenceHash)[]';

export function encodeSlashBatch(nonce: bigint, proposer: string, slashes: FinalSlash[]): Uint8Array {
  if (slashes.length === 0) throw new Error('a slash batch needs at least one slash');
  const coder = AbiCoder.defaultAbiCoder();
  const list = coder.encode([SLASH_TUPLE], [slashes.map((s) => [s.validatorId, s.selfBps, s.delegatorBps, s.jailEpochs, s.evidenceHash])]);
  return hexToBytes(coder.encode(['uint256', 'address', 'bytes'], [nonce, proposer, list]));
}

export function decodeSlashBatch(data: Uint8Array): { nonce: bigint; proposer: string; slashes: FinalSlash[] } {
  const coder = AbiCoder.defaultAbiCoder();
  const [nonce, proposer, list] = coder.decode(['uint256', 'address', 'bytes'], data) as unknown as [bigint, string, string];
  const [items] = coder.decode([SLASH_TUPLE], list) as unknown as [[bigint, bigint, bigint, bigint, string][]];
  return {
    nonce,
    proposer: proposer.toLowerCase(),
    slashes: items.map(([id, s, d, j, h]) => ({ validatorId: id, selfBps: Number(s), delegatorBps: Number(d), jailEpochs: Number(j), evidenceHash: h })),
  };
}

/** What each validator signs (the checkpoint rule: keccak256(0x01 ‖ data)). */
export function slashBatchVoteHash(data: Uint8Array): string {
  return bytesToHex(keccak256(concatBytes(Uint8Array.of(1), data)));
}
