/**
 * The deployment plan of the root contracts for a genesis: signed transactions from the deployer
 * (nonces 0, 1, 2, …) and the addresses they create, computed before anything runs.
 */
import { AbiCoder, Interface, getCreateAddress } from 'ethers';
import { loadArtifacts } from '../contracts/build.ts';
import { signLegacyTx } from '../evm/txSign.ts';
import { hexToBytes } from '../util/bytes.ts';
import type { RootGenesis } from './genesis.ts';

export interface RootAddresses {
  bttToken: string;
  stakeManager: string;
  stakingNft: string;
  /** The StakeManager's event logger: staking events come from here (the root chain's `stakingInfo`). */
  stakingInfo: string;
  rootChain: string;
  stateSender: string;
  /** Checkpointed voting power (StakeManager.stakeVotes()). */
  stakeVotes: string;
  /** Each genesis validator's ValidatorShare (delegation contract), in genesis order. */
  validatorShares: string[];
  /** Governance (docs/governance.md): deployed last; the StakeManager's governance is handed to the Timelock then (genesis `stakingGovernance`). */
  timelock: string;
  governor: string;
  /** Applies signed final slash batches (issue 19); deployed after the genesis stakes, before any transfer of governance. */
  slashingManager: string;
}

/** Devnet-short governance parameters: blocks of delay and voting, seconds of timelock delay. */
export const DEVNET_GOVERNANCE = { votingDelay: 2n, votingPeriod: 10n, timelockDelay: 5n } as const;

export interface DeployPlan {
  addresses: RootAddresses;
  /** Signed raw transactions in nonce order. */
  txs: Uint8Array[];
  /** What each transaction does (logs and errors). */
  labels: string[];
}

const DEPLOY_GAS = 6_000_000n;
/**
 * The StakeManager's constructor also creates its StakingNFT, StakingInfo, StakeVotes and the
 * ValidatorShare and ValidatorPartnership implementations (≈ 9M gas).
 */
const STAKE_MANAGER_DEPLOY_GAS = 20_000_000n;
const CALL_GAS = 1_000_000n;
/** stakeFor also clones the validator's ValidatorShare. */
const STAKE_FOR_GAS = 2_000_000n;

export function planDeployment(g: RootGenesis): DeployPlan {
  const art = loadArtifacts();
  const need = (n: string) => {
    const a = art[n];
    if (!a) throw new Error(`contract ${n} missing from the Solidity build`);
    return a;
  };
  const token = need('BttToken');
  const sm = need('StakeManager');
  const rc = need('RootChain');
  const ss = need('StateSender');
  const iface = (n: string) => new Interface(need(n).abi as never);
  const at = (nonce: number) => getCreateAddress({ from: g.deployer, nonce }).toLowerCase();
  // The StakeManager's constructor creates the StakingNFT (its nonce 1), the StakingInfo (2), the
  // StakeVotes (3) and the ValidatorShare (4) and ValidatorPartnership (5) implementations; each
  // stakeFor with acceptDelegation then clones a ValidatorShare (6, 7, … in genesis order).
  const createdBy = (creator: string, nonce: number) => getCreateAddress({ from: creator, nonce }).toLowerCase();
  const addresses: RootAddresses = {
    bttToken: at(0),
    stakeManager: at(1),
    stakingNft: createdBy(at(1), 1),
    stakingInfo: createdBy(at(1), 2),
    rootChain: at(2),
    stateSender: at(3),
    stakeVotes: createdBy(at(1), 3),
    validatorShares: g.validators.map((_, i) => createdBy(at(1), 6 + i)),
    timelock: '',
    governor: '',
    slashingManager: '',
  };

  const txs: Uint8Array[] = [];
  const labels: string[] = [];
  const push = (label: string, to: string | undefined, data: string, gasLimit = CALL_GAS) => {
    txs.push(signLegacyTx({ nonce: txs.length, gasPrice: 0n, gasLimit, to: to ? hexToBytes(to) : undefined, data: hexToBytes(data) }, g.chainId, g.deployerKey));
    labels.push(label);
  };
  const coder = AbiCoder.defaultAbiCoder();
  const deploy = (label: string, bytecode: string, types: string[], values: unknown[], gas = DEPLOY_GAS) => push(label, undefined, bytecode + coder.encode(types, values).slice(2), gas);
  const s = g.staking;

  deploy('deploy BttToken', token.bytecode, ['address'], [g.deployer]);
  deploy(
    'deploy StakeManager',
    sm.bytecode,
    ['address', 'address', 'tuple(uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256)'],
    [addresses.bttToken, g.deployer, [s.minDeposit, s.minHeimdallFee, s.validatorThreshold, s.withdrawalDelay, s.proposerBonus, s.checkpointReward, s.checkpointBlockInterval, s.signerUpdateLimit]],
    STAKE_MANAGER_DEPLOY_GAS,
  );
  deploy('deploy RootChain', rc.bytecode, ['address', 'uint256'], [addresses.stakeManager, g.borChainId]);
  deploy('deploy StateSender', ss.bytecode, ['address'], [g.governance]);
  const smI = iface('StakeManager');
  const tokI = iface('BttToken');
  push('StakeManager.setRootChain', addresses.stakeManager, smI.encodeFunctionData('setRootChain', [addresses.rootChain]));
  if (s.rewardPool > 0n) push('BTT reward pool', addresses.bttToken, tokI.encodeFunctionData('mint', [addresses.stakeManager, s.rewardPool]));
  const total = g.validators.reduce((sum, v) => sum + v.stake + v.fee, 0n);
  if (total > 0n) {
    push('BTT for genesis stakes', addresses.bttToken, tokI.encodeFunctionData('mint', [g.deployer, total]));
    push('approve StakeManager', addresses.bttToken, tokI.encodeFunctionData('approve', [addresses.stakeManager, total]));
  }
  // Genesis validators accept delegation (each gets its ValidatorShare), as on BTTC's mainnet.
  for (const [i, v] of g.validators.entries()) {
    push(`stakeFor validator ${i} (signer ${v.signer})`, addresses.stakeManager, smI.encodeFunctionData('stakeFor', [v.owner, v.stake, v.fee, true, v.signerPubkey]), STAKE_FOR_GAS);
  }
  for (const h of g.btt) push(`BTT for ${h.address}`, addresses.bttToken, tokI.encodeFunctionData('mint', [h.address, h.amount]));
  // Its address is the deployer's nonce at this point (after the setup calls, stakes and mints).
  addresses.slashingManager = at(txs.length);
  deploy('deploy SlashingManager', need('SlashingManager').bytecode, ['address'], [addresses.stakeManager]);
  push('StakeManager.setSlashingManager', addresses.stakeManager, smI.encodeFunctionData('setSlashingManager', [addresses.slashingManager]));
  if (g.stakingGovernance === 'key' && g.governance !== g.deployer) push('StakeManager.transferGovernance', addresses.stakeManager, smI.encodeFunctionData('transferGovernance', [g.governance]));
  // Governance last, so every address above stays where it was. The guardian is the governance key;
  // the proposal threshold is one minimum deposit of voting power.
  const gv = DEVNET_GOVERNANCE;
  addresses.timelock = at(txs.length);
  deploy('deploy Timelock', need('Timelock').bytecode, ['address', 'address', 'uint256'], ['0x0000000000000000000000000000000000000000', g.governance, gv.timelockDelay]);
  addresses.governor = at(txs.length);
  deploy(
    'deploy Governor',
    need('Governor').bytecode,
    ['address', 'address', 'address', 'uint256', 'uint256', 'uint256'],
    [addresses.stakeVotes, addresses.stakeManager, addresses.timelock, gv.votingDelay, gv.votingPeriod, s.minDeposit],
  );
  push('Timelock.initProposer', addresses.timelock, iface('Timelock').encodeFunctionData('initProposer', [addresses.governor]));
  // The StakeManager's governance setters answer to the Timelock from the first block on: a
  // parameter change is a full proposal (the Governor's own and the Delivery parameters it holds
  // already are). `stakingGovernance: "key"` leaves them to the governance key instead.
  if (g.stakingGovernance === 'timelock') push('StakeManager.transferGovernance to the Timelock', addresses.stakeManager, smI.encodeFunctionData('transferGovernance', [addresses.timelock]));
  return { addresses, txs, labels };
}
