/**
 * Staking's REST routes, as BTTC's Delivery serves them (staking/client/rest/query.go):
 *
 *   GET /staking/validator-set             types.ValidatorSet: validators (by signer), proposer
 *   GET /staking/validator/{id}            types.Validator; a bad id 400, an unknown one 400
 *   GET /staking/signer/{address}          the validator with that signer; unknown: 400
 *   GET /staking/validator-status/{address} {"result": whether it is a current validator}
 *   GET /staking/totalpower                {"result": the set's total voting power}
 *   GET /staking/current-proposer          the set's proposer (the next checkpoint's proposer)
 *   GET /staking/proposer/{times}          the next `times` proposers (at most one per validator)
 *
 * An address is read as go-ethereum's HexToAddress reads it: optional 0x, hex up to the first
 * non-hex pair, its last 20 bytes, left-padded.
 *
 * Stake (ours; BTTC's Delivery has no such routes; field names in Delivery's camelCase, wei amounts
 * as decimal strings like Heimdall's feeAmount, since they pass 2^53; docs/staking-rest.md):
 *
 *   GET /staking/validator/{id}            also, once the staking chain told Delivery its stake:
 *                                          selfStake, delegatedStake, totalStake (strings; self
 *                                          and total null until a stake update names the total),
 *                                          commissionRate (number, percent), delegatorCount
 *                                          (number), partners ([{address, amount, shares, leaving,
 *                                          withdrawEpoch}]); a genesis-only validator keeps BTTC's ten
 *   GET /staking/delegator/{address}       its delegations: [{validatorId, delegator, shares, stake,
 *                                          unbonding, rewardsClaimed}] by validator id, [] when none
 *   GET /staking/voting-power/{address}?block=N
 *                                          {address, block, votingPower}: StakeVotes.getPastVotes at
 *                                          N, or getVotes at the current block without `block`
 * The stake routes take a strict address (0x and 40 hex digits) and answer 400 otherwise.
 */
import { deliveryValidator } from '../../../protocol/delivery-rest/format.ts';
import type { GoJsonValue } from '../../../protocol/delivery-rest/go-json.ts';
import type { Validator } from '../../../protocol/validators/validator.ts';
import { appendMsg, CODE_UNKNOWN_REQUEST, HttpError, internalQueryError, queryError, SDK_CODESPACE } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import { clampedCount, parseUint64, storedId } from '../../rest/params.ts';
import type { StakingQueries } from './queries.ts';
import { selfStakeOf, type DelegationRecord, type ValidatorStakeRecord } from './stake-store.ts';
import { VotingPowerQueryError, type VotingPowerReader } from './voting-power.ts';

/** go-ethereum's common.HexToAddress, lenient as it is. */
export function hexToAddressLenient(s: string): string {
  let h = /^0[xX]/.test(s) ? s.slice(2) : s;
  if (h.length % 2 === 1) h = '0' + h;
  let bytes = '';
  for (let i = 0; i + 2 <= h.length; i += 2) {
    const pair = h.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) break;
    bytes += pair.toLowerCase();
  }
  return '0x' + bytes.slice(-40).padStart(40, '0');
}

function validatorJson(v: Validator) {
  return deliveryValidator(v);
}

/** BTTC's validator fields, then its stake (fields after BTTC's, so a BTTC client reads what it knows). */
export function validatorWithStakeJson(v: Validator, s: ValidatorStakeRecord | null): GoJsonValue {
  const base = validatorJson(v);
  if (!s) return base;
  return {
    ...base,
    // null while no StakeUpdate has told Delivery the total (a genesis validator whose first stake event set only its commission).
    selfStake: totalKnown(s) ? selfStakeOf(s).toString() : null,
    delegatedStake: s.delegatedStake,
    totalStake: totalKnown(s) ? s.totalStake : null,
    commissionRate: BigInt(s.commissionRate),
    delegatorCount: s.delegators,
    partners: s.partners.map((p) => ({ address: p.address, amount: p.amount, shares: p.shares, leaving: p.leaving, withdrawEpoch: p.withdrawEpoch })),
  };
}

function totalKnown(s: ValidatorStakeRecord): boolean {
  return s.stakeSequence !== '-1';
}

export function delegationJson(d: DelegationRecord): GoJsonValue {
  return { validatorId: d.validatorId, delegator: d.delegator, shares: d.shares, stake: d.stake, unbonding: d.unbonding, rewardsClaimed: d.rewardsClaimed };
}

/** A strict 20-byte address (0x and 40 hex digits), lower-cased; 400 naming the parameter otherwise. */
export function strictAddress(raw: string | undefined, what: string): string {
  const s = raw ?? '';
  if (!/^0x[0-9a-fA-F]{40}$/.test(s)) throw new HttpError(400, `invalid ${what} ${JSON.stringify(s)}: want 0x followed by 40 hex digits`);
  return s.toLowerCase();
}

/** `?block=N`: absent means the current block; anything else must be a decimal block number. */
function blockParam(raw: string | null): number | null {
  if (raw === null) return null;
  if (!/^\d+$/.test(raw) || BigInt(raw) > BigInt(Number.MAX_SAFE_INTEGER)) throw new HttpError(400, `invalid block ${JSON.stringify(raw)}: want a decimal block number of the staking chain`);
  return Number(raw);
}

async function votingPower(reader: VotingPowerReader | null, address: string, block: number | null): Promise<GoJsonValue> {
  if (!reader) throw new HttpError(503, 'voting power is read from the staking chain, and this node has no reader for it (an EVM staking chain with StakeVotes is needed)');
  try {
    const v = await reader.votes(address, block);
    return { address, block: v.block, votingPower: v.power.toString() };
  } catch (err) {
    if (err instanceof VotingPowerQueryError) throw new HttpError(400, err.message);
    throw new HttpError(503, `staking chain unavailable: ${(err as Error).message}`);
  }
}

export function stakingRoutes(q: StakingQueries, reader: VotingPowerReader | null = null): RestRoute[] {
  return [
    {
      path: '/staking/delegator/:address',
      handle: async (req) => (await q.delegations(strictAddress(req.params.address, 'delegator address'))).map(delegationJson),
    },
    {
      path: '/staking/voting-power/:address',
      handle: (req) => votingPower(reader, strictAddress(req.params.address, 'address'), blockParam(req.url.searchParams.get('block'))),
    },
    {
      path: '/staking/validator-set',
      handle: () => {
        const set = q.deliverySet();
        return { validators: set.validators.map(validatorJson), proposer: set.proposer ? validatorJson(set.proposer) : null };
      },
    },
    {
      path: '/staking/validator/:id',
      handle: async (req) => {
        const id = storedId(parseUint64(req.params.id));
        const v = id === null ? null : q.validatorRecord(id);
        if (!v) throw queryError(400, SDK_CODESPACE, CODE_UNKNOWN_REQUEST, 'No validator found');
        return validatorWithStakeJson(v, await q.validatorStake(v.id));
      },
    },
    {
      path: '/staking/signer/:address',
      handle: (req) => {
        const v = q.validatorBySigner(hexToAddressLenient(req.params.address!));
        if (!v) throw internalQueryError(400, appendMsg('Error while getting validator by signer', 'Validator not found'));
        return validatorJson(v);
      },
    },
    {
      path: '/staking/validator-status/:address',
      handle: (req) => ({ result: q.isCurrentValidator(hexToAddressLenient(req.params.address!), req.stakingChainId) }),
    },
    { path: '/staking/totalpower', handle: () => ({ result: q.totalVotingPower() }) },
    {
      path: '/staking/current-proposer',
      handle: () => {
        const p = q.currentProposer();
        return p ? validatorJson(p) : null;
      },
    },
    {
      path: '/staking/proposer/:times',
      handle: (req) => {
        const list = q.nextProposers(clampedCount(parseUint64(req.params.times)));
        return list.length ? list.map(validatorJson) : null;
      },
    },
  ];
}
