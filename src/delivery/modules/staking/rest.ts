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
 */
import { deliveryValidator } from '../../../protocol/delivery-rest/format.ts';
import type { Validator } from '../../../protocol/validators/validator.ts';
import { appendMsg, CODE_UNKNOWN_REQUEST, internalQueryError, queryError, SDK_CODESPACE } from '../../rest/http-error.ts';
import type { RestRoute } from '../../rest/interface.ts';
import { clampedCount, parseUint64, storedId } from '../../rest/params.ts';
import type { StakingQueries } from './queries.ts';

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

export function stakingRoutes(q: StakingQueries): RestRoute[] {
  return [
    {
      path: '/staking/validator-set',
      handle: () => {
        const set = q.deliverySet();
        return { validators: set.validators.map(validatorJson), proposer: set.proposer ? validatorJson(set.proposer) : null };
      },
    },
    {
      path: '/staking/validator/:id',
      handle: (req) => {
        const id = storedId(parseUint64(req.params.id));
        const v = id === null ? null : q.validatorRecord(id);
        if (!v) throw queryError(400, SDK_CODESPACE, CODE_UNKNOWN_REQUEST, 'No validator found');
        return validatorJson(v);
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
