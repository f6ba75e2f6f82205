/**
 * The stake transaction: a StakingInfo event that moves stake without moving the validator set —
 * a validator's stake update, a delegator's vouchers (ShareMinted / ShareBurned), its rewards and
 * claims, a commission change, and a partner joining or leaving a validator slot. Each is mirrored
 * into Delivery like every staking event (the app's pool; every validator votes Yes only when its
 * own watcher saw the identical event) and applied at the tally by stake-apply.ts. BTTC keeps voting
 * power at 1 per validator, so none of these changes the consensus sets, except Jailed / UnJailed:
 * they set the validator record's `jailed`, and the sets follow at the end of the block.
 */
import type { RootEvent } from '../../../root/abi.ts';
import { DeliveryCodecError, readRef, writeRef, type Reader, type Writer } from '../../app/binary.ts';
import type { EventRef, EventTx } from '../../app/types.ts';
import { argBigInt, argHex, argNumber, type ModuleContext } from '../context.ts';
import type { TxCodec } from '../module.ts';

export const STAKE_TX = 9;

/** What the event was. The numbers are the codec's kind byte: never renumber. */
export const StakeKind = {
  /** StakeUpdate(validatorId, newAmount): own + delegated stake, as the StakeManager has it now. */
  StakeUpdate: 1,
  ShareMinted: 2,
  ShareBurned: 3,
  DelegatorClaimedRewards: 4,
  DelegatorRestaked: 5,
  DelegatorUnstaked: 6,
  UpdateCommissionRate: 7,
  PartnerJoined: 8,
  PartnerLeaveInit: 9,
  PartnerLeft: 10,
  /** Unstaked(user, validatorId, amount, total): the validator's own stake was claimed back. */
  ValidatorUnstaked: 11,
  /** Jailed(validatorId, exitEpoch, signer): slashed and locked; amount = exitEpoch (jail end). */
  Jailed: 12,
  /** UnJailed(validatorId, signer): the owner unjailed it after the jail. */
  UnJailed: 13,
} as const;
export type StakeKind = (typeof StakeKind)[keyof typeof StakeKind];

/** The StakingInfo event name of each kind (logs, metrics). */
export const STAKE_EVENT_NAMES: Record<StakeKind, string> = {
  1: 'StakeUpdate',
  2: 'ShareMinted',
  3: 'ShareBurned',
  4: 'DelegatorClaimedRewards',
  5: 'DelegatorRestaked',
  6: 'DelegatorUnstaked',
  7: 'UpdateCommissionRate',
  8: 'PartnerJoined',
  9: 'PartnerLeaveInit',
  10: 'PartnerLeft',
  11: 'Unstaked',
  12: 'Jailed',
  13: 'UnJailed',
};

export interface StakeTx extends EventTx {
  type: typeof STAKE_TX;
  ref: EventRef;
  kind: StakeKind;
  validatorId: number;
  /** The delegator or partner (lower-case 0x hex); the zero address for validator-wide kinds. */
  account: string;
  /**
   * The event's amount in wei: StakeUpdate newAmount, ShareMinted/ShareBurned amount, rewards,
   * DelegatorRestaked totalStaked, DelegatorUnstaked amount, the new commission rate, a partner's
   * amount, Unstaked amount.
   */
  amount: bigint;
  /** Shares minted or burned (ShareMinted/ShareBurned tokens, PartnerJoined shares), the old commission rate, the partner's withdraw epoch; 0 otherwise. */
  aux: bigint;
}

const KINDS = new Set<number>(Object.values(StakeKind));
const ZERO_ADDRESS = '0x' + '00'.repeat(20);

/** ref ‖ kind u8 ‖ validatorId u64 ‖ account 20 ‖ amount u256 ‖ aux u256 */
export const stakeTxCodec: TxCodec<StakeTx> = {
  type: STAKE_TX,
  name: 'stake',
  encode(w: Writer, tx: StakeTx): void {
    writeRef(w, tx.ref);
    w.u8(tx.kind);
    w.u64(tx.validatorId);
    w.hex(tx.account, 20, 'account');
    w.u256(tx.amount);
    w.u256(tx.aux);
  },
  decode(r: Reader): StakeTx {
    const ref = readRef(r);
    const kind = r.u8('stake kind');
    if (!KINDS.has(kind)) throw new DeliveryCodecError(`stake tx: unknown kind ${kind}`);
    return { type: STAKE_TX, ref, kind: kind as StakeKind, validatorId: r.num('validatorId'), account: r.hex(20, 'account'), amount: r.u256('amount'), aux: r.u256('aux') };
  },
};

/** Validator-wide kinds: they name no account. */
const VALIDATOR_WIDE = new Set<StakeKind>([StakeKind.StakeUpdate, StakeKind.UpdateCommissionRate, StakeKind.ValidatorUnstaked, StakeKind.Jailed, StakeKind.UnJailed]);

export function isValidatorWide(kind: StakeKind): boolean {
  return VALIDATOR_WIDE.has(kind);
}

/** The Delivery tx mirroring a StakingInfo stake event, or null for any other event. */
export function stakeTxFromEvent(ev: RootEvent): StakeTx | null {
  if (ev.contract !== 'StakeManager') return null;
  const a = ev.args;
  const n = ev.name;
  const make = (kind: StakeKind, account: string, amount: bigint, aux = 0n): StakeTx => ({
    type: STAKE_TX,
    ref: { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() },
    kind,
    validatorId: argNumber(a, 'validatorId', n),
    account,
    amount,
    aux,
  });
  const user = (name = 'user') => argHex(a, name, n, 20);
  switch (n) {
    case 'StakeUpdate':
      return make(StakeKind.StakeUpdate, ZERO_ADDRESS, argBigInt(a, 'newAmount', n));
    case 'ShareMinted':
      return make(StakeKind.ShareMinted, user(), argBigInt(a, 'amount', n), argBigInt(a, 'tokens', n));
    case 'ShareBurned':
      return make(StakeKind.ShareBurned, user(), argBigInt(a, 'amount', n), argBigInt(a, 'tokens', n));
    case 'DelegatorClaimedRewards':
      return make(StakeKind.DelegatorClaimedRewards, user(), argBigInt(a, 'rewards', n));
    case 'DelegatorRestaked':
      return make(StakeKind.DelegatorRestaked, user(), argBigInt(a, 'totalStaked', n));
    case 'DelegatorUnstaked':
      return make(StakeKind.DelegatorUnstaked, user(), argBigInt(a, 'amount', n));
    case 'UpdateCommissionRate':
      return make(StakeKind.UpdateCommissionRate, ZERO_ADDRESS, argBigInt(a, 'newCommissionRate', n), argBigInt(a, 'oldCommissionRate', n));
    case 'PartnerJoined':
      return make(StakeKind.PartnerJoined, user('partner'), argBigInt(a, 'amount', n), argBigInt(a, 'shares', n));
    case 'PartnerLeaveInit':
      return make(StakeKind.PartnerLeaveInit, user('partner'), argBigInt(a, 'amount', n), argBigInt(a, 'withdrawEpoch', n));
    case 'PartnerLeft':
      return make(StakeKind.PartnerLeft, user('partner'), argBigInt(a, 'amount', n));
    case 'Unstaked':
      return make(StakeKind.ValidatorUnstaked, ZERO_ADDRESS, argBigInt(a, 'amount', n));
    // The signer the events name is not kept: the validator record's signer is the one that counts
    // (a SignerChange moves it), and jail applies to the validator id.
    case 'Jailed':
      return make(StakeKind.Jailed, ZERO_ADDRESS, argBigInt(a, 'exitEpoch', n));
    case 'UnJailed':
      return make(StakeKind.UnJailed, ZERO_ADDRESS, 0n);
    default:
      return null;
  }
}

/** Deterministic checks before inclusion (the effect waits for the side votes). */
export function validateStakeTx(tx: StakeTx, ctx: ModuleContext): string | null {
  if (tx.ref.rootChainId !== ctx.stakingChainId) return `stake events come from root chain ${ctx.stakingChainId}, not ${tx.ref.rootChainId}`;
  if (tx.validatorId < 1) return 'validator ids start at 1';
  if (isValidatorWide(tx.kind) !== (tx.account === ZERO_ADDRESS)) return `${STAKE_EVENT_NAMES[tx.kind]}: ${isValidatorWide(tx.kind) ? 'names no account' : 'needs a non-zero account'}`;
  if ((tx.kind === StakeKind.ShareMinted || tx.kind === StakeKind.ShareBurned || tx.kind === StakeKind.PartnerJoined) && (tx.amount === 0n || tx.aux === 0n))
    return `${STAKE_EVENT_NAMES[tx.kind]}: amount and shares must be positive`;
  if (tx.kind === StakeKind.PartnerLeaveInit && tx.aux > BigInt(Number.MAX_SAFE_INTEGER)) return 'PartnerLeaveInit: withdraw epoch exceeds 2^53';
  return null;
}
