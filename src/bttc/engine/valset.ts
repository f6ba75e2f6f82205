/**
 * Bor's producer set on Delivery's ValidatorSet (same Tendermint proposer-priority algorithm, spec
 * §6). Bor keeps one such set in its snapshot: created with `NewValidatorSet` from span 0's producers,
 * and at every sprint end replaced by `getUpdatedValidatorSet` (old members absent from the header's
 * list get power 0, listed ones take their listed power with their priority kept, new ones join)
 * followed by `IncrementProposerPriority(1)`. With equal powers that is a round robin in address order.
 */
import { bytesToHex, hexToBytes } from '../../util/bytes.ts';
import { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import { makeValidator, type Validator } from '../../protocol/validators/validator.ts';
import type { ProposerSet, ProposerSetFactory } from './interface.ts';
import type { ProducerEntry } from './types.ts';

function toValidator(p: ProducerEntry): Validator {
  // Bor parses header producers without ids (ID 0); ids play no part in ordering or priority.
  return makeValidator({ id: 0, signer: bytesToHex(p.address), votingPower: p.power });
}

export class BorProducerSet implements ProposerSet {
  private readonly set: ValidatorSet;
  readonly validators: readonly ProducerEntry[];
  private readonly index = new Map<string, number>();
  private readonly proposerAddress: Uint8Array;

  constructor(set: ValidatorSet) {
    if (set.size === 0) throw new Error('producer set: empty');
    this.set = set;
    this.validators = set.validators().map((v) => ({ address: hexToBytes(v.signer), power: v.votingPower }));
    set.signers().forEach((s, i) => this.index.set(s, i));
    this.proposerAddress = hexToBytes(set.getProposer()!.signer);
  }

  proposer(): Uint8Array {
    return this.proposerAddress;
  }

  indexOf(address: Uint8Array): number {
    return this.index.get(bytesToHex(address)) ?? -1;
  }

  next(producers: readonly ProducerEntry[]): ProposerSet {
    const copy = this.set.copy();
    const listed = new Map(producers.map((p) => [bytesToHex(p.address), p.power]));
    const changes: Validator[] = copy.validators().map((v) => ({ ...v, votingPower: listed.get(v.signer) ?? 0n }));
    for (const p of producers) if (!copy.hasAddress(bytesToHex(p.address))) changes.push(toValidator(p));
    try {
      copy.updateWithChangeSet(changes);
    } catch {
      // Bor logs a failed change set and carries on with the unchanged set: do the same so every
      // node computes the same proposer from the same headers.
    }
    copy.incrementProposerPriority(1);
    return new BorProducerSet(copy);
  }

  serialize(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.set.toJSON()));
  }

  /** The underlying set (a copy), for diagnostics. */
  toValidatorSet(): ValidatorSet {
    return this.set.copy();
  }
}

export const borProducerSetFactory: ProposerSetFactory = {
  create(producers) {
    return new BorProducerSet(ValidatorSet.fromValidators(producers.map(toValidator)));
  },
  restore(bytes) {
    return new BorProducerSet(ValidatorSet.fromJSON(JSON.parse(new TextDecoder().decode(bytes))));
  },
};
