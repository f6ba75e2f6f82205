/** Governor + Timelock over the staking set (test/contracts/staking-fixture.ts), as src/rootchain/deploy.ts wires them. */
import { hexToBytes } from '../../src/util/bytes.ts';
import { testKey, type TestKey } from '../helpers/keys.ts';
import { signTally, submitTallyCalldata, type TallyRecord } from '../../src/gov/tally-data.ts';
import { E18, type Params, type Validator } from './fixture.ts';
import { callAt, deployStakingSet, type StakingSet } from './staking-fixture.ts';
import type { TxOutcome } from './harness.ts';

export interface GovSet extends StakingSet {
  governor: string;
  timelock: string;
  guardian: TestKey;
  votingDelay: bigint;
  votingPeriod: bigint;
  delay: bigint;
  threshold: bigint;
}

export async function deployGovSet(opts: { validators?: number; votingDelay?: bigint; votingPeriod?: bigint; delay?: bigint; threshold?: bigint; params?: Partial<Params> } = {}): Promise<GovSet> {
  const set = await deployStakingSet({ validators: opts.validators ?? 4, ...(opts.params ? { params: opts.params } : {}) });
  const guardian = testKey('gov-guardian');
  await set.chain.fund(guardian.addressHex);
  const votingDelay = opts.votingDelay ?? 2n;
  const votingPeriod = opts.votingPeriod ?? 5n;
  const delay = opts.delay ?? 100n;
  const threshold = opts.threshold ?? 1000n * E18;
  const timelock = (await set.chain.deploy('Timelock', set.gov, ['0x0000000000000000000000000000000000000000', guardian.addressHex, delay])).toLowerCase();
  const governor = (await set.chain.deploy('Governor', set.gov, [set.stakeVotes, set.stakeManager, timelock, votingDelay, votingPeriod, threshold])).toLowerCase();
  await set.chain.must(set.gov, 'Timelock', timelock, 'initProposer', [governor]);
  await set.chain.must(set.gov, 'StakeManager', set.stakeManager, 'transferGovernance', [timelock]);
  return { ...set, governor, timelock, guardian, votingDelay, votingPeriod, delay, threshold };
}

export async function gview<T = bigint>(set: GovSet, fn: string, args: unknown[] = []): Promise<T> {
  return (await callAt(set.chain, 'Governor', set.governor, fn, args))[0] as T;
}

export const STATES = ['Pending', 'Active', 'Tallying', 'Defeated', 'Succeeded', 'Queued', 'Executed'] as const;

export async function stateOf(set: GovSet, id: bigint): Promise<string> {
  return STATES[Number(await gview(set, 'state', [id]))]!;
}

/** Moves the chain past `block` (each tx is one block in the harness). */
export function mineTo(set: GovSet, block: bigint): void {
  if (set.chain.number <= block) set.chain.number = block + 1n;
}

export function sigsFor(rec: TallyRecord, signers: readonly Validator[]) {
  return signers.map((v) => ({ signer: v.signerAddress, signature: signTally(rec, v.signer.secret) }));
}

export async function submitTally(set: GovSet, from: TestKey, rec: TallyRecord, signers: readonly Validator[]): Promise<TxOutcome> {
  return set.chain.sendRaw(from, set.governor, submitTallyCalldata(rec, sigsFor(rec, signers)));
}

export function calldata(set: GovSet, name: string, fn: string, args: unknown[]): string {
  return set.chain.iface(name).encodeFunctionData(fn, args);
}

export { hexToBytes };
