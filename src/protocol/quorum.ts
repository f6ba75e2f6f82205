/**
 * The one quorum rule of BTTC (Tendermint's 2f+1): strictly more than two thirds. It is used for
 * voting power (consensus votes, side-transaction tallies) and for signature counts (checkpoints,
 * where BTTC counts signers, not stake). For integers, `x ≥ ⌊2·total/3⌋ + 1` ⟺ `3x > 2·total`.
 */

/** The smallest amount that is more than two thirds of `total`: ⌊2·total/3⌋ + 1. */
export function quorumThreshold(total: number): number {
  return Math.floor((total * 2) / 3) + 1;
}

/** > 2/3 of total (2f+1). */
export function isQuorum(amount: number, total: number): boolean {
  return amount * 3 > total * 2;
}

/** > 1/3 of total (f+1): at least one correct validator is among them. */
export function isOneThird(amount: number, total: number): boolean {
  return amount * 3 > total;
}
