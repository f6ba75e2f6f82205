/** Root contract set on a TestChain, plus validator keys and checkpoint signing for tests. */
import { AbiCoder } from 'ethers';
import { TestChain } from './harness.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { concatBytes, hexToBytes, compareBytes, bytesToBigInt } from '../../src/util/bytes.ts';
import { testKey, type TestKey } from '../helpers/keys.ts';

export const E18 = 10n ** 18n;

export interface Params {
  minDeposit: bigint;
  minHeimdallFee: bigint;
  validatorThreshold: bigint;
  withdrawalDelay: bigint;
  proposerBonus: bigint;
  checkpointReward: bigint;
  checkPointBlockInterval: bigint;
  signerUpdateLimit: bigint;
}

export const DEFAULT_PARAMS: Params = {
  minDeposit: 1000n * E18,
  minHeimdallFee: E18,
  validatorThreshold: 10n,
  withdrawalDelay: 4n,
  proposerBonus: 10n,
  checkpointReward: 1000n * E18,
  checkPointBlockInterval: 256n,
  signerUpdateLimit: 2n,
};

export interface Validator {
  owner: TestKey;
  signer: TestKey;
  /** 64-byte x‖y. */
  pubkey: Uint8Array;
  signerAddress: string;
}

export function makeValidator(i: number | string): Validator {
  const owner = testKey(`owner-${i}`);
  const signer = testKey(`signer-${i}`);
  return { owner, signer, pubkey: signer.publicKey.subarray(1), signerAddress: signer.addressHex };
}

export interface RootSet {
  chain: TestChain;
  gov: TestKey;
  token: string;
  stakeManager: string;
  nft: string;
  /** The StakeManager's logger: every staking event comes from here. */
  stakingInfo: string;
  rootChain: string;
  stateSender: string;
  borChainId: bigint;
}

export async function deployRootSet(opts: { params?: Partial<Params>; borChainId?: bigint; rootChainCaller?: TestKey; simpleState?: boolean } = {}): Promise<RootSet> {
  const chain = await TestChain.create(2, { simpleState: opts.simpleState ?? false });
  const gov = testKey('governance');
  await chain.fund(gov.addressHex);
  const p = { ...DEFAULT_PARAMS, ...opts.params };
  const borChainId = opts.borChainId ?? 199n;
  const token = await chain.deploy('BttToken', gov, [gov.addressHex]);
  const stakeManager = await chain.deploy('StakeManager', gov, [token, gov.addressHex, p]);
  const nft = (await chain.call('StakeManager', stakeManager, 'NFTContract'))[0] as string;
  chain.at('StakingNFT', nft);
  const stakingInfo = ((await chain.call('StakeManager', stakeManager, 'logger'))[0] as string).toLowerCase();
  chain.at('StakingInfo', stakingInfo);
  const rootChain = await chain.deploy('RootChain', gov, [stakeManager, borChainId]);
  await chain.must(gov, 'StakeManager', stakeManager, 'setRootChain', [opts.rootChainCaller?.addressHex ?? rootChain]);
  const stateSender = await chain.deploy('StateSender', gov, [gov.addressHex]);
  // Reward pool.
  await chain.must(gov, 'BttToken', token, 'mint', [stakeManager, 10n ** 9n * E18]);
  return { chain, gov, token, stakeManager, nft, stakingInfo, rootChain, stateSender, borChainId };
}

export async function stake(set: RootSet, v: Validator, amount = 2000n * E18, fee = E18): Promise<ReturnType<TestChain['send']>> {
  const { chain, gov, token, stakeManager } = set;
  await chain.fund(v.owner.addressHex);
  await chain.must(gov, 'BttToken', token, 'mint', [v.owner.addressHex, amount + fee]);
  await chain.must(v.owner, 'BttToken', token, 'approve', [stakeManager, amount + fee]);
  return chain.send(v.owner, 'StakeManager', stakeManager, 'stakeFor', [v.owner.addressHex, amount, fee, false, v.pubkey]);
}

export interface CheckpointData {
  proposer: string;
  start: bigint;
  end: bigint;
  rootHash: string;
  accountRootHash: string;
  borChainId: bigint;
  epoch: bigint;
}

export function encodeCheckpoint(c: CheckpointData): Uint8Array {
  return hexToBytes(
    AbiCoder.defaultAbiCoder().encode(
      ['address', 'uint256', 'uint256', 'bytes32', 'bytes32', 'uint256', 'uint256'],
      [c.proposer, c.start, c.end, c.rootHash, c.accountRootHash, c.borChainId, c.epoch],
    ),
  );
}

export function voteHash(data: Uint8Array): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(1), data));
}

/** Signatures as the root chain wants them: sorted ascending by signer, [r, s, v+27]. */
export function signSorted(data: Uint8Array, signers: Validator[]): bigint[][] {
  const h = voteHash(data);
  return signers
    .map((v) => ({ addr: hexToBytes(v.signerAddress), sig: signRsv(h, v.signer.secret) }))
    .sort((a, b) => compareBytes(a.addr, b.addr))
    .map(({ sig }) => [bytesToBigInt(sig.subarray(0, 32)), bytesToBigInt(sig.subarray(32, 64)), BigInt(sig[64]!) + 27n]);
}

export function sortBySigner(vs: Validator[]): Validator[] {
  return [...vs].sort((a, b) => compareBytes(hexToBytes(a.signerAddress), hexToBytes(b.signerAddress)));
}

export const ZERO32 = '0x' + '00'.repeat(32);
export const ROOT = '0x' + 'ab'.repeat(32);
