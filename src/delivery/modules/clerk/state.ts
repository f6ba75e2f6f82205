/** Clerk's slice of the Delivery state: the last global record id and each root chain's last StateSender id. */
import type { DeliveryState } from '../../app/state.ts';
import type { StateSlot } from '../module.ts';

export interface ClerkState {
  clerkLastId: number;
  /** StateSender counter last applied, per root chain id. */
  clerkLastStateId: Map<number, bigint>;
}

export const CLERK_STATE: StateSlot<ClerkState> = {
  module: 'clerk',
  keys: ['clerkLastId', 'clerkLastStateId'],
  toJson: (s: ClerkState) => ({ clerkLastId: s.clerkLastId, clerkLastStateId: [...s.clerkLastStateId].map(([k, v]) => [k, v.toString()]) }),
  fromJson: (j: Readonly<Record<string, unknown>>) => ({
    clerkLastId: j.clerkLastId as number,
    clerkLastStateId: new Map((j.clerkLastStateId as [number, string][]).map(([k, v]) => [k, BigInt(v)])),
  }),
  clone: (s: ClerkState) => ({ clerkLastId: s.clerkLastId, clerkLastStateId: new Map(s.clerkLastStateId) }),
};

export function clerkOf(s: DeliveryState): ClerkState {
  return s.get(CLERK_STATE);
}
