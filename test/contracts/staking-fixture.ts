/** Delegation, partnership and voting-power helpers over the root contract set (test/contracts/fixture.ts). */
import { testKey, type TestKey } from '../helpers/keys.ts';
import { createBlock } from '@ethereumjs/block';
import { createAddressFromString, createZeroAddress } from '@ethereumjs/util';
import type { Result } from 'ethers';
import { hexToBytes } from '../../src/util/bytes.ts';
import { decodeRevert, type TestChain, type TxOutcome } from './harness.ts';
import { deployRootSet, E18, encodeCheckpoint, makeValidator, ROOT, signSorted, sortBySigner, ZERO32, type Params, type RootSet, type Validator } from './fixture.ts';

export interface StakingSet extends RootSet {
  /** Stands in for the RootChain: calls checkSignatures directly. */
  rootCaller: TestKey;
  stakeVotes: string;
  vals: Validator[];
  /** Validator ids, in the order of `vals` as staked (before sorting by signer). */
  ids: Map<Validator, bigint>;
  checkpoints: number;
  /** Outcomes of the stakeFor transactions (their logs start the voting-power history). */
  stakeOutcomes: TxOutcome[];
}

export async function deployStakingSet(opts: { validators?: number; params?: Partial<Params>; acceptDelegation?: boolean; stake?: bigint; simpleState?: boolean } = {}): Promise<StakingSet> {
  const rootCaller = testKey('staking-root-caller');
  const base = await deployRootSet({ params: opts.params ?? {}, rootChainCaller: rootCaller, simpleState: opts.simpleState ?? false });
  await base.chain.fund(rootCaller.addressHex);
  const stakeVotes = ((await base.chain.call('StakeManager', base.stakeManager, 'stakeVotes'))[0] as string).toLowerCase();
  base.chain.at('StakeVotes', stakeVotes);
  const set: StakingSet = { ...base, rootCaller, stakeVotes, vals: [], ids: new Map(), checkpoints: 0, stakeOutcomes: [] };
  for (let i = 0; i < (opts.validators ?? 3); i++) {
    const v = makeValidator(`stk-${i}`);
    const out = await stakeValidator(set, v, opts.stake ?? 2000n * E18, opts.acceptDelegation ?? true);
    if (!out.ok) throw new Error(`stakeFor: ${out.revert}`);
  }
  return set;
}

export async function stakeValidator(set: StakingSet, v: Validator, amount: bigint, acceptDelegation: boolean): Promise<TxOutcome> {
  const { chain, gov, token, stakeManager } = set;
  await chain.fund(v.owner.addressHex);
  await chain.must(gov, 'BttToken', token, 'mint', [v.owner.addressHex, amount + E18]);
  await chain.must(v.owner, 'BttToken', token, 'approve', [stakeManager, amount + E18]);
  const out = await chain.send(v.owner, 'StakeManager', stakeManager, 'stakeFor', [v.owner.addressHex, amount, E18, acceptDelegation, v.pubkey]);
  if (out.ok) {
    set.stakeOutcomes.push(out);
    const id = (await chain.call('StakeManager', stakeManager, 'NFTCounter'))[0] as bigint;
    set.vals.push(v);
    set.ids.set(v, id - 1n);
    const share = await shareOf(set, id - 1n);
    if (share !== ZERO_ADDRESS) chain.at('ValidatorShare', share);
  }
  return out;
}

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export async function shareOf(set: RootSet, id: bigint): Promise<string> {
  return ((await set.chain.call('StakeManager', set.stakeManager, 'getValidatorContract', [id]))[0] as string).toLowerCase();
}

/** Mints `amount` BTT to `who` and approves the StakeManager (delegation pulls through it). */
export async function fundStaker(set: RootSet, who: TestKey, amount: bigint, spender = set.stakeManager): Promise<void> {
  await set.chain.fund(who.addressHex);
  await set.chain.must(set.gov, 'BttToken', set.token, 'mint', [who.addressHex, amount]);
  await set.chain.must(who, 'BttToken', set.token, 'approve', [spender, 2n ** 255n]);
}

export async function balance(set: RootSet, who: string): Promise<bigint> {
  return (await set.chain.call('BttToken', set.token, 'balanceOf', [who]))[0] as bigint;
}

/** One checkpoint (`blockInterval` Bttc blocks) signed by `signers` (default: every validator), proposed by the first. */
export async function checkpoint(set: StakingSet, opts: { signers?: Validator[]; proposer?: Validator; blockInterval?: bigint } = {}): Promise<TxOutcome> {
  const signers = sortBySigner(opts.signers ?? set.vals);
  const proposer = opts.proposer ?? signers[0]!;
  set.checkpoints++;
  const data = encodeCheckpoint({
    proposer: proposer.signerAddress,
    start: 0n,
    end: 255n,
    rootHash: ROOT,
    accountRootHash: ZERO32,
    borChainId: set.borChainId,
    epoch: BigInt(set.checkpoints),
  });
  const { keccak256 } = await import('../../src/crypto/keccak.ts');
  const { concatBytes, bytesToHex } = await import('../../src/util/bytes.ts');
  const hash = bytesToHex(keccak256(concatBytes(Uint8Array.of(1), data)));
  return set.chain.send(set.rootCaller, 'StakeManager', set.stakeManager, 'checkSignatures', [opts.blockInterval ?? 256n, hash, ZERO32, proposer.signerAddress, signSorted(data, signers)]);
}

/**
 * A view call run as in the next block (TestChain.call runs at block 0, where StakeVotes' clock
 * would make every past lookup a future one).
 */
export async function view<T = bigint>(set: RootSet, name: string, to: string, fn: string, args: unknown[] = []): Promise<T> {
  return (await callAt(set.chain, name, to, fn, args))[0] as T;
}

export async function callAt(chain: TestChain, name: string, to: string, fn: string, args: unknown[] = [], number = chain.number): Promise<Result> {
  const iface = chain.iface(name);
  const block = createBlock({ header: { number, timestamp: chain.timestamp, gasLimit: 100_000_000n } }, { common: chain.common });
  const res = await chain.vm.evm.runCall({ block, to: createAddressFromString(to), caller: createZeroAddress(), data: hexToBytes(iface.encodeFunctionData(fn, args)), gasLimit: 30_000_000n });
  if (res.execResult.exceptionError) throw new Error(`${name}.${fn} call failed: ${decodeRevert(res.execResult.returnValue) ?? res.execResult.exceptionError.error}`);
  return iface.decodeFunctionResult(fn, res.execResult.returnValue);
}
