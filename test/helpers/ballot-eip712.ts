/**
 * The ballot's EIP-712 hash as ethers computes it, written from the type string, not from
 * src/gov/ballot.ts: the tests' independent reference for our digest and the Governor's hashBallot.
 */
import { TypedDataEncoder } from 'ethers';

export const BALLOT_TYPES = {
  Ballot: [
    { name: 'proposalId', type: 'uint256' },
    { name: 'support', type: 'uint8' },
    { name: 'voter', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'reason', type: 'string' },
  ],
};

/** TypedDataEncoder.hash of a ballot under the Governor's domain (name "BTTC Governor", version "1"). */
export function ethersBallotHash(domain: { chainId: bigint | number; governor: string }, ballot: Record<string, unknown>): string {
  return TypedDataEncoder.hash({ name: 'BTTC Governor', version: '1', chainId: domain.chainId, verifyingContract: domain.governor }, BALLOT_TYPES, ballot);
}
