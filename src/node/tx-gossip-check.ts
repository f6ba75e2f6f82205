/**
 * What every transaction of a gossiped batch must be before the batch is relayed or reaches the
 * pool: it decodes (legacy or access-list), carries this chain's id, fits a block (gas limit) and
 * pays its intrinsic gas, has a low-s signature that recovers to a sender (through the verify
 * pool). One transaction failing any of these makes the whole batch junk: 'reject'.
 *
 * Not junk, only not for us: a transaction we already hold (skipped without a second recovery: its
 * bytes, hence its hash, are those we checked), an unprotected one (pre-EIP-155: our pool's policy,
 * not a lie), one whose gas limit is only a little above our head's (a peer on a head with a higher
 * limit — gas limits move by 1/1024 per block). Those are left out of what goes to the pool.
 */
import { keccak256 } from '../crypto/keccak.ts';
import { isLowS } from '../crypto/secp256k1.ts';
import { equalBytes } from '../util/bytes.ts';
import { decodeTx, intrinsicGas, type DecodedTx } from '../bttc/txpool/tx.ts';
import type { SignatureVerifier } from '../pools/interface.ts';
import { MAX_TX_BYTES } from '../p2p/codec/txBatch.ts';

export interface TxCheckDeps {
  chainId: number;
  /** The gas limit of our head block. */
  blockGasLimit(): bigint;
  /** Whether the pool holds a transaction with this hash. */
  known(hash: Uint8Array): boolean;
  verifier: Pick<SignatureVerifier, 'verifyBatch'>;
}

export type TxBatchCheck =
  | { verdict: 'reject'; reason: string; index: number }
  /**
   * `fresh`: the transactions to offer the pool (possibly none), decoded from their own copy of the
   * bytes (not views into the gossip message) with their recovered senders, so the pool neither
   * decodes nor recovers them again; `skipped`: why others were left out.
   */
  | { verdict: 'ok'; fresh: { tx: DecodedTx; sender: Uint8Array }[]; skipped: Record<string, number> };

type TxClass = { bad: string } | { skip: string } | { tx: DecodedTx };

function classify(raw: Uint8Array, deps: TxCheckDeps, gasLimit: bigint): TxClass {
  if (raw.length > MAX_TX_BYTES) return { bad: 'oversized' };
  let d: DecodedTx;
  try {
    // A copy: what the pool keeps must not pin the whole gossip message in memory.
    d = decodeTx(raw.slice());
  } catch {
    return { bad: 'malformed' };
  }
  if (d.chainId !== undefined && d.chainId !== BigInt(deps.chainId)) return { bad: 'wrong-chain-id' };
  if (d.gasLimit < intrinsicGas(d)) return { bad: 'intrinsic-gas' };
  if (d.gasLimit > gasLimit + gasLimit / 64n) return { bad: 'gas-limit' };
  if (!isLowS(d.signature.subarray(0, 64))) return { bad: 'high-s' };
  if (deps.known(d.hash)) return { skip: 'known' };
  if (d.chainId === undefined) return { skip: 'unprotected' };
  if (d.gasLimit > gasLimit) return { skip: 'gas-limit' };
  return { tx: d };
}

export async function checkTxBatch(raws: readonly Uint8Array[], deps: TxCheckDeps): Promise<TxBatchCheck> {
  const gasLimit = deps.blockGasLimit();
  const fresh: DecodedTx[] = [];
  const skipped: Record<string, number> = {};
  for (let i = 0; i < raws.length; i++) {
    const c = classify(raws[i]!, deps, gasLimit);
    if ('bad' in c) return { verdict: 'reject', reason: c.bad, index: i };
    if ('skip' in c) skipped[c.skip] = (skipped[c.skip] ?? 0) + 1;
    else fresh.push(c.tx);
  }
  const out: { tx: DecodedTx; sender: Uint8Array }[] = [];
  if (fresh.length > 0) {
    const res = await deps.verifier.verifyBatch(fresh.map((d) => ({ kind: 'secp256k1-recover' as const, digest: d.sigHash, signature: d.signature })));
    for (let k = 0; k < res.length; k++) {
      const r = res[k]!;
      if (!r.ok || r.kind !== 'secp256k1-recover') return { verdict: 'reject', reason: 'bad-signature', index: indexOf(raws, fresh[k]!.hash) };
      out.push({ tx: fresh[k]!, sender: r.address });
    }
  }
  return { verdict: 'ok', fresh: out, skipped };
}

/** Position in the batch of the transaction with this hash (the decoded copy is not the batch's own bytes). */
function indexOf(raws: readonly Uint8Array[], hash: Uint8Array): number {
  return raws.findIndex((r) => equalBytes(keccak256(r), hash));
}
