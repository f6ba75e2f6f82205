/**
 * The tally record Delivery's validators sign and Governor.submitTally takes (docs/governance.md):
 * abi.encode(address governor, uint256 chainId, uint256 proposalId, uint256 snapshot, uint256 deadline,
 * uint256 forVotes, uint256 againstVotes, uint256 abstainVotes, uint256 vetoVotes, uint256 totalPower,
 * uint256 ballotCount, bytes32 manifestRoot), signed like a checkpoint: keccak256(0x01 ‖ data), and
 * sent with the signatures sorted ascending by signer as [R, S, V] triples (protocol/checkpoint/calldata.ts).
 */
import { encodeBytesAndTriples, encodeStaticWords, readWord } from '../abi/encode.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { signRsv } from '../crypto/secp256k1.ts';
import { type SignerSignature, sortForRootChain, toRootChainTriple } from '../protocol/checkpoint/calldata.ts';
import { voteHash } from '../protocol/checkpoint/checkpoint.ts';
import { bytesToHex, hexToBytes, uintToBytes } from '../util/bytes.ts';
import type { ProposalTally } from './tally.ts';

export const TALLY_DATA_WORDS = 12;
/** Governor.submitTally(bytes,uint256[3][]) */
export const SUBMIT_TALLY_SELECTOR = bytesToHex(keccak256(new TextEncoder().encode('submitTally(bytes,uint256[3][])')).subarray(0, 4));

export interface TallyRecord {
  governor: string;
  chainId: bigint;
  proposalId: string;
  snapshot: bigint;
  deadline: bigint;
  forVotes: bigint;
  againstVotes: bigint;
  abstainVotes: bigint;
  vetoVotes: bigint;
  totalPower: bigint;
  ballotCount: bigint;
  manifestRoot: string;
}

export function tallyRecord(t: ProposalTally, governor: string, chainId: bigint): TallyRecord {
  return {
    governor: governor.toLowerCase(),
    chainId,
    proposalId: t.proposalId,
    snapshot: t.snapshot,
    deadline: t.deadline,
    forVotes: t.forVotes,
    againstVotes: t.againstVotes,
    abstainVotes: t.abstainVotes,
    vetoVotes: t.vetoVotes,
    totalPower: t.totalPower,
    ballotCount: BigInt(t.ballots.length),
    manifestRoot: t.manifestRoot,
  };
}

export function tallySignBytes(r: TallyRecord): Uint8Array {
  const u = (value: bigint) => ({ type: 'uint256' as const, value });
  return encodeStaticWords([
    { type: 'address', value: r.governor },
    u(r.chainId),
    u(BigInt(r.proposalId)),
    u(r.snapshot),
    u(r.deadline),
    u(r.forVotes),
    u(r.againstVotes),
    u(r.abstainVotes),
    u(r.vetoVotes),
    u(r.totalPower),
    u(r.ballotCount),
    { type: 'bytes32', value: r.manifestRoot },
  ]);
}

export function decodeTallyRecord(data: Uint8Array): TallyRecord {
  if (data.length !== TALLY_DATA_WORDS * 32) throw new RangeError(`tally data must be ${TALLY_DATA_WORDS} words, got ${data.length} bytes`);
  const w = (i: number) => readWord(data, i);
  return {
    governor: bytesToHex(data.subarray(12, 32)),
    chainId: w(1),
    proposalId: bytesToHex(uintToBytes(w(2))),
    snapshot: w(3),
    deadline: w(4),
    forVotes: w(5),
    againstVotes: w(6),
    abstainVotes: w(7),
    vetoVotes: w(8),
    totalPower: w(9),
    ballotCount: w(10),
    manifestRoot: bytesToHex(data.subarray(352, 384)),
  };
}

export function tallyVoteHash(r: TallyRecord): Uint8Array {
  return voteHash(tallySignBytes(r));
}

export function signTally(r: TallyRecord, signerKey: Uint8Array): Uint8Array {
  return signRsv(tallyVoteHash(r), signerKey);
}

export function submitTallyCalldata(r: TallyRecord, sigs: readonly SignerSignature[]): Uint8Array {
  return encodeBytesAndTriples(
    hexToBytes(SUBMIT_TALLY_SELECTOR),
    tallySignBytes(r),
    sortForRootChain(sigs).map((s) => toRootChainTriple(s.signature)),
  );
}
