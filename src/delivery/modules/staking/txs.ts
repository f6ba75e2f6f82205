/**
 * The staking transaction: a StakeManager event of the staking root chain mirrored into Delivery
 * (validator join, exit, signer update, stake update), its codec, and what applying it does to the
 * validator records. Each event applies once (its replay sequence is marked processed) and in nonce
 * order per validator; the validator sets change only at the end of the block (end-block.ts). BTTC
 * fixes every validator's voting power at 1, so a stake update changes the nonce, not the power.
 */
import type { RootEvent } from '../../../root/abi.ts';
import { makeValidator, type Validator } from '../../../protocol/validators/validator.ts';
import { DeliveryCodecError, readRef, writeRef, type Reader, type Writer } from '../../app/binary.ts';
import type { EventRef, EventTx } from '../../app/types.ts';
import { argBigInt, argHex, argNumber, type ApplyOutcome, type ModuleContext } from '../context.ts';
import type { TxCodec } from '../module.ts';
import { BTTC_VOTING_POWER, type StakingState } from './state.ts';

export const STAKING_TX = 1;

export const StakingKind = { Join: 1, Exit: 2, SignerUpdate: 3, StakeUpdate: 4 } as const;
export type StakingKind = (typeof StakingKind)[keyof typeof StakingKind];

export interface StakingTx extends EventTx {
  type: typeof STAKING_TX;
  ref: EventRef;
  kind: StakingKind;
  validatorId: number;
  nonce: number;
  /** New signer (join, signer update); the zero address otherwise. */
  signer: string;
  /** 65-byte uncompressed key (join, signer update), '0x' otherwise. */
  pubKey: string;
  /** Activation epoch (join) or deactivation epoch (exit); 0 otherwise. */
  epoch: number;
  /** Staked amount in wei (join, stake update); BTTC keeps voting power at 1 whatever the stake. */
  amount: bigint;
}

const STAKING_KINDS = new Set<number>(Object.values(StakingKind));

/** ref ‖ kind u8 ‖ validatorId u64 ‖ nonce u64 ‖ signer 20 ‖ hasPubKey u8 ‖ pubKey 65? ‖ epoch u64 ‖ amount u256 */
export const stakingTxCodec: TxCodec<StakingTx> = {
  type: STAKING_TX,
  name: 'staking',
  encode(w: Writer, tx: StakingTx): void {
    writeRef(w, tx.ref);
    w.u8(tx.kind);
    w.u64(tx.validatorId);
    w.u64(tx.nonce);
    w.hex(tx.signer, 20, 'signer');
    if (tx.pubKey === '0x') w.u8(0);
    else {
      w.u8(1);
      w.hex(tx.pubKey, 65, 'pubKey');
    }
    w.u64(tx.epoch);
    w.u256(tx.amount);
  },
  decode(r: Reader): StakingTx {
    const ref = readRef(r);
    const kind = r.u8('staking kind');
    if (!STAKING_KINDS.has(kind)) throw new DeliveryCodecError(`staking tx: unknown kind ${kind}`);
    const validatorId = r.num('validatorId');
    const nonce = r.num('nonce');
    const signer = r.hex(20, 'signer');
    const hasKey = r.u8('hasPubKey');
    if (hasKey > 1) throw new DeliveryCodecError(`staking tx: hasPubKey must be 0 or 1, got ${hasKey}`);
    const pubKey = hasKey ? r.hex(65, 'pubKey') : '0x';
    return { type: STAKING_TX, ref, kind: kind as StakingKind, validatorId, nonce, signer, pubKey, epoch: r.num('epoch'), amount: r.u256('amount') };
  },
};

const ZERO_ADDRESS = '0x' + '00'.repeat(20);

function refOf(ev: RootEvent): EventRef {
  return { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() };
}

/** The StakeManager's 64-byte (x ‖ y) key as the 65-byte uncompressed form validator records keep. */
function uncompressed(pub: string): string {
  return '0x04' + pub.slice(2);
}

/** The Delivery tx mirroring a StakeManager event, or null for events staking does not track. */
export function stakingTxFromEvent(ev: RootEvent): StakingTx | null {
  if (ev.contract !== 'StakeManager') return null;
  const a = ev.args;
  const base = { type: STAKING_TX, ref: refOf(ev) } as const;
  switch (ev.name) {
    case 'Staked':
      return {
        ...base,
        kind: StakingKind.Join,
        validatorId: argNumber(a, 'validatorId', ev.name),
        nonce: argNumber(a, 'nonce', ev.name),
        signer: argHex(a, 'signer', ev.name, 20),
        pubKey: uncompressed(argHex(a, 'signerPubkey', ev.name, 64)),
        epoch: argNumber(a, 'activationEpoch', ev.name),
        amount: argBigInt(a, 'amount', ev.name),
      };
    case 'UnstakeInit':
      return {
        ...base,
        kind: StakingKind.Exit,
        validatorId: argNumber(a, 'validatorId', ev.name),
        nonce: argNumber(a, 'nonce', ev.name),
        signer: ZERO_ADDRESS,
        pubKey: '0x',
        epoch: argNumber(a, 'deactivationEpoch', ev.name),
        amount: argBigInt(a, 'amount', ev.name),
      };
    case 'SignerChange':
      return {
        ...base,
        kind: StakingKind.SignerUpdate,
        validatorId: argNumber(a, 'validatorId', ev.name),
        nonce: argNumber(a, 'nonce', ev.name),
        signer: argHex(a, 'newSigner', ev.name, 20),
        pubKey: uncompressed(argHex(a, 'signerPubkey', ev.name, 64)),
        epoch: 0,
        amount: 0n,
      };
    case 'StakeUpdate':
      // BTTC's StakingInfo logs StakeUpdate(validatorId, newAmount) with no nonce, and BTTC's Delivery
      // does not act on it: voting power is fixed at 1, so a stake change moves nothing in Delivery.
      // (A nonce read here would throw on every restake and stall the watcher on that event.)
      return null;
    default:
      return null;
  }
}

/** Deterministic checks before inclusion (the effect waits for the side votes). */
export function validateStakingTx(tx: StakingTx, ctx: ModuleContext): string | null {
  if (tx.ref.rootChainId !== ctx.stakingChainId) return `staking events come from root chain ${ctx.stakingChainId}, not ${tx.ref.rootChainId}`;
  if (tx.validatorId < 1) return 'validator ids start at 1';
  if ((tx.kind === StakingKind.Join || tx.kind === StakingKind.SignerUpdate) && (tx.pubKey === '0x' || tx.signer === ZERO_ADDRESS)) return 'join / signer update needs a signer and its public key';
  return null;
}

function signerInUse(st: StakingState, signer: string, exceptId: number): boolean {
  for (const v of st.validators.values()) if (v.signer === signer && v.id !== exceptId) return true;
  return false;
}

/** Applies an approved staking event to the validator records (not yet to the sets). */
export function applyStakingTx(st: StakingState, tx: StakingTx): ApplyOutcome {
  const existing = st.validators.get(tx.validatorId);
  if (tx.kind === StakingKind.Join) {
    if (existing) return 'stale';
    if (signerInUse(st, tx.signer, tx.validatorId)) return 'stale';
    st.validators.set(tx.validatorId, makeValidator({ id: tx.validatorId, signer: tx.signer, pubKey: tx.pubKey, votingPower: BTTC_VOTING_POWER, startEpoch: tx.epoch, endEpoch: 0, nonce: tx.nonce }));
    return 'applied';
  }
  // Updates need the validator and the next nonce; an earlier update still on its way means "not yet".
  if (!existing) return 'early';
  if (tx.nonce <= existing.nonce) return 'stale';
  if (tx.nonce > existing.nonce + 1) return 'early';
  const v: Validator = { ...existing, nonce: tx.nonce };
  if (tx.kind === StakingKind.Exit) v.endEpoch = tx.epoch;
  else if (tx.kind === StakingKind.SignerUpdate) {
    if (signerInUse(st, tx.signer, tx.validatorId)) return 'stale';
    v.signer = tx.signer;
    v.pubKey = tx.pubKey;
  }
  st.validators.set(tx.validatorId, v);
  return 'applied';
}
