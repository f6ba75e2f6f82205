/**
 * Stake records in the staking module's buckets (src/db/buckets.ts):
 *
 *   deliveryValidatorStake  validator id (u64) → ValidatorStakeRecord JSON
 *   deliveryDelegation      delegator (20) ‖ validator id (u64) → DelegationRecord JSON
 *   deliveryValidatorDelegator  validator id (u64) ‖ delegator (20) → 0x01 (who delegates to a validator)
 *
 * They live in buckets, not in the state snapshot: a validator can have thousands of delegators and
 * the snapshot is rewritten every block. Applying a block never writes the store itself: a block's
 * records go to a per-block overlay (read back by later events of the same block) and, as batch
 * operations, into the block's one atomic write. The overlay belongs to the block's state object,
 * so a block whose write fails leaves nothing behind, and the next block reads the store.
 */
import { BUCKETS } from '../../../db/buckets.ts';
import type { KeyValueStore } from '../../../db/interface.ts';
import { fixedBytesCodec, jsonCodec, presenceCodec, Repository, tupleCodec, u64Codec } from '../../../db/repository.ts';
import { bytesToHex, hexToBytes } from '../../../util/bytes.ts';
import type { DeliveryState } from '../../app/state.ts';
import type { BlockEffects } from '../module.ts';

/** One partner of a validator slot (white paper's partnership): part of the validator's own stake. */
export interface PartnerRecord {
  address: string;
  /** Bonded stake in wei (decimal). */
  amount: string;
  /** Its shares of the self-stake (decimal). */
  shares: string;
  /** Stake leaving, waiting for its withdraw epoch (decimal wei; "0" when none). */
  leaving: string;
  /** Checkpoint epoch from which the leaving stake can be claimed (0 when none). */
  withdrawEpoch: number;
}

export interface ValidatorStakeRecord {
  validatorId: number;
  /**
   * Own + delegated stake, wei, decimal: the last StakeUpdate's newAmount (the Staked amount at a
   * join). Own stake is this minus delegatedStake: kept as the two amounts the events carry, so
   * it comes out right whichever order a contract logs StakeUpdate and the share event of one call.
   */
  totalStake: string;
  /** Stake delegated through its ValidatorShare, wei, decimal. */
  delegatedStake: string;
  /** Shares of its ValidatorShare outstanding. */
  totalShares: string;
  /** Commission taken from delegators' rewards, percent (decimal). */
  commissionRate: string;
  /** Delegators holding shares now. */
  delegators: number;
  /** Partners, by address. */
  partners: PartnerRecord[];
  /** Replay sequence of the event that last set totalStake ("-1": none). */
  stakeSequence: string;
  /** Replay sequence of the event that last set commissionRate ("-1": none). */
  commissionSequence: string;
  /** Replay sequence of the Jailed / UnJailed event that last set `jailed` (absent: none yet, so pinned record formats stay as they were). */
  jailSequence?: string;
}

export interface DelegationRecord {
  validatorId: number;
  delegator: string;
  /** Shares held (ValidatorShare balance). */
  shares: string;
  /** Stake bought and not sold, wei. */
  stake: string;
  /** Stake sold and not yet claimed (unbonding), wei. */
  unbonding: string;
  /** Rewards withdrawn so far, wei. */
  rewardsClaimed: string;
}

export function emptyValidatorStake(validatorId: number): ValidatorStakeRecord {
  return { validatorId, totalStake: '0', delegatedStake: '0', totalShares: '0', commissionRate: '0', delegators: 0, partners: [], stakeSequence: '-1', commissionSequence: '-1' };
}

export function emptyDelegation(validatorId: number, delegator: string): DelegationRecord {
  return { validatorId, delegator, shares: '0', stake: '0', unbonding: '0', rewardsClaimed: '0' };
}

type DelegationKey = readonly [Uint8Array, number];
type IndexKey = readonly [number, Uint8Array];

const address = fixedBytesCodec(20);

export class StakeStore {
  private readonly validators: Repository<number, ValidatorStakeRecord>;
  private readonly delegations: Repository<DelegationKey, DelegationRecord>;
  private readonly index: Repository<IndexKey, true>;

  constructor(db: KeyValueStore) {
    this.validators = new Repository(db, BUCKETS.deliveryValidatorStake, u64Codec, jsonCodec<ValidatorStakeRecord>());
    this.delegations = new Repository(db, BUCKETS.deliveryDelegation, tupleCodec<DelegationKey>(address, u64Codec), jsonCodec<DelegationRecord>());
    this.index = new Repository(db, BUCKETS.deliveryValidatorDelegator, tupleCodec<IndexKey>(u64Codec, address), presenceCodec);
  }

  async validator(id: number): Promise<ValidatorStakeRecord | null> {
    return (await this.validators.get(id)) ?? null;
  }

  async delegation(delegator: string, validatorId: number): Promise<DelegationRecord | null> {
    return (await this.delegations.get([hexToBytes(delegator), validatorId])) ?? null;
  }

  /** Every delegation of one address, by validator id. */
  async delegationsOf(delegator: string): Promise<DelegationRecord[]> {
    const out: DelegationRecord[] = [];
    for await (const v of this.delegations.values({ prefix: hexToBytes(delegator) })) out.push(v);
    return out;
  }

  /** Addresses that have delegated to a validator (now or before), in address order, at most `limit`. */
  async delegatorsOf(validatorId: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for await (const [[, a]] of this.index.entries({ prefix: u64Codec.encode(validatorId), limit })) out.push(bytesToHex(a));
    return out;
  }

  validatorPutOp(r: ValidatorStakeRecord) {
    return this.validators.putOp(r.validatorId, r);
  }

  delegationPutOps(r: DelegationRecord, isNew: boolean) {
    const a = hexToBytes(r.delegator);
    const ops = [this.delegations.putOp([a, r.validatorId], r)];
    if (isNew) ops.push(this.index.putOp([r.validatorId, a], true));
    return ops;
  }
}

interface Overlay {
  validators: Map<number, ValidatorStakeRecord>;
  delegations: Map<string, DelegationRecord>;
}

/** The stake records as one block sees them: what earlier events of the block wrote, else the store. */
export interface StakeView {
  validator(id: number): Promise<ValidatorStakeRecord | null>;
  /** The record, or null when this address never delegated to this validator. */
  delegation(delegator: string, validatorId: number): Promise<DelegationRecord | null>;
  putValidator(r: ValidatorStakeRecord): void;
  putDelegation(r: DelegationRecord, isNew: boolean): void;
}

/** Hands out one block's view of the records; the overlay lives as long as that block's state object. */
export class StakeBook {
  readonly store: StakeStore;
  private readonly overlays = new WeakMap<DeliveryState, Overlay>();

  constructor(store: StakeStore) {
    this.store = store;
  }

  view(state: DeliveryState, fx: BlockEffects): StakeView {
    let o = this.overlays.get(state);
    if (!o) this.overlays.set(state, (o = { validators: new Map(), delegations: new Map() }));
    const overlay = o;
    const store = this.store;
    const dkey = (d: string, id: number) => `${d}/${id}`;
    return {
      async validator(id) {
        const r = overlay.validators.get(id) ?? (await store.validator(id));
        return r ? structuredClone(r) : null;
      },
      async delegation(delegator, validatorId) {
        const r = overlay.delegations.get(dkey(delegator, validatorId)) ?? (await store.delegation(delegator, validatorId));
        return r ? { ...r } : null;
      },
      putValidator(r) {
        overlay.validators.set(r.validatorId, structuredClone(r));
        fx.write(store.validatorPutOp(r));
      },
      putDelegation(r, isNew) {
        overlay.delegations.set(dkey(r.delegator, r.validatorId), { ...r });
        for (const op of store.delegationPutOps(r, isNew)) fx.write(op);
      },
    };
  }
}

/**
 * Own stake: total − delegated. Between the StakeUpdate and the share event of one root-chain call
 * (applied a block apart at most) the difference can dip below zero; own stake is never negative,
 * so that moment reads 0 until the second event lands.
 */
export function selfStakeOf(r: ValidatorStakeRecord): bigint {
  const d = BigInt(r.totalStake) - BigInt(r.delegatedStake);
  return d > 0n ? d : 0n;
}
