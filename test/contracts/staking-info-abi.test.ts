/**
 * Pins StakingInfo's events to BTTC's: the signatures below are written out from bttcprotocol/contracts
 * `contracts/staking/StakingInfo.sol` (and ../shared/spec/bttc-protocol.md §11), argument names,
 * order, types and `indexed` flags included. topic0 is computed here from the canonical form of each
 * line, so a changed type, a reordered argument or a flipped `indexed` flag in our contract fails,
 * and so does an event added to or dropped from it. bttc-node's own partnership events (issue 16; BTTC
 * has no partnerships) are pinned the same way, separately, so BTTC's 26 stay exactly BTTC's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { id as keccakText } from 'ethers';
import { loadArtifacts } from '../../src/contracts/build.ts';

/** BTTC's StakingInfo events, verbatim. */
const BTTC_EVENTS = [
  'Staked(address indexed signer, uint256 indexed validatorId, uint256 nonce, uint256 indexed activationEpoch, uint256 amount, uint256 total, bytes signerPubkey)',
  'Unstaked(address indexed user, uint256 indexed validatorId, uint256 amount, uint256 total)',
  'UnstakeInit(address indexed user, uint256 indexed validatorId, uint256 nonce, uint256 deactivationEpoch, uint256 indexed amount)',
  'SignerChange(uint256 indexed validatorId, uint256 nonce, address indexed oldSigner, address indexed newSigner, bytes signerPubkey)',
  'Restaked(uint256 indexed validatorId, uint256 amount, uint256 total)',
  'Jailed(uint256 indexed validatorId, uint256 indexed exitEpoch, address indexed signer)',
  'UnJailed(uint256 indexed validatorId, address indexed signer)',
  'Slashed(uint256 indexed nonce, uint256 indexed amount)',
  'ThresholdChange(uint256 newThreshold, uint256 oldThreshold)',
  'DynastyValueChange(uint256 newDynasty, uint256 oldDynasty)',
  'ProposerBonusChange(uint256 newProposerBonus, uint256 oldProposerBonus)',
  'RewardUpdate(uint256 newReward, uint256 oldReward)',
  'ChainRewardUpdate(uint256 chainId, uint256 newReward, uint256 oldReward)',
  'StakeUpdate(uint256 indexed validatorId, uint256 indexed newAmount)',
  'ClaimRewards(uint256 indexed validatorId, uint256 indexed amount, uint256 indexed totalAmount)',
  'StartAuction(uint256 indexed validatorId, uint256 indexed amount, uint256 indexed auctionAmount)',
  'ConfirmAuction(uint256 indexed newValidatorId, uint256 indexed oldValidatorId, uint256 indexed amount)',
  'TopUpFee(address indexed user, uint256 indexed fee)',
  'ClaimFee(address indexed user, uint256 indexed fee)',
  'ShareMinted(uint256 indexed validatorId, address indexed user, uint256 indexed amount, uint256 tokens)',
  'ShareBurned(uint256 indexed validatorId, address indexed user, uint256 indexed amount, uint256 tokens)',
  'DelegatorClaimedRewards(uint256 indexed validatorId, address indexed user, uint256 indexed rewards)',
  'DelegatorRestaked(uint256 indexed validatorId, address indexed user, uint256 indexed totalStaked)',
  'DelegatorUnstaked(uint256 indexed validatorId, address indexed user, uint256 amount)',
  'UpdateCommissionRate(uint256 indexed validatorId, uint256 indexed newCommissionRate, uint256 indexed oldCommissionRate)',
  'CheckpointSyncAck(address indexed proposer, uint256 indexed chainId, uint256 indexed checkpointId, uint256 start, uint256 end)',
];

/** bttc-node's validator-partnership events (no BTTC counterpart), pinned as the node reads them. */
const PARTNER_EVENTS = [
  'PartnerJoined(uint256 indexed validatorId, address indexed partner, uint256 amount, uint256 shares)',
  'PartnerLeaveInit(uint256 indexed validatorId, address indexed partner, uint256 amount, uint256 withdrawEpoch)',
  'PartnerLeft(uint256 indexed validatorId, address indexed partner, uint256 amount)',
];

interface Pinned {
  name: string;
  /** "type[ indexed] name" per argument, in order. */
  inputs: string[];
  topic0: string;
}

/** Parses one line by hand (no ABI library), so the test does not share a parser with the code. */
function pinned(line: string): Pinned {
  const m = /^(\w+)\((.*)\)$/.exec(line);
  assert.ok(m, line);
  const inputs = m[2]!.split(',').map((s) => s.trim().split(/\s+/).join(' '));
  const types = inputs.map((s) => s.split(' ')[0]!);
  return { name: m[1]!, inputs, topic0: keccakText(`${m[1]}(${types.join(',')})`) };
}

interface AbiEvent {
  type: string;
  name: string;
  anonymous?: boolean;
  inputs: { name: string; type: string; indexed: boolean }[];
}

describe('StakingInfo ABI pinned to BTTC', () => {
  const abi = loadArtifacts().StakingInfo!.abi as unknown as AbiEvent[];
  const events = abi.filter((i) => i.type === 'event');

  it("has exactly BTTC's events (plus the pinned partnership ones): same names, argument order, types, names and indexed flags", () => {
    assert.equal(BTTC_EVENTS.length, 26);
    const want = [...BTTC_EVENTS, ...PARTNER_EVENTS].map(pinned);
    assert.deepEqual(events.map((e) => e.name).sort(), want.map((w) => w.name).sort(), 'the set of events');
    for (const w of want) {
      const e = events.find((x) => x.name === w.name)!;
      assert.equal(e.anonymous ?? false, false, `${w.name} is not anonymous`);
      assert.deepEqual(
        e.inputs.map((i) => `${i.type}${i.indexed ? ' indexed' : ''} ${i.name}`),
        w.inputs,
        w.name,
      );
      const topic0 = keccakText(`${e.name}(${e.inputs.map((i) => i.type).join(',')})`);
      assert.equal(topic0, w.topic0, `${w.name} topic0`);
    }
  });

  it('StakeUpdate has no nonce (BTTC dropped it): two indexed words, validatorId and newAmount', () => {
    const e = events.find((x) => x.name === 'StakeUpdate')!;
    assert.equal(keccakText('StakeUpdate(uint256,uint256)'), pinned(BTTC_EVENTS.find((l) => l.startsWith('StakeUpdate('))!).topic0);
    assert.deepEqual(
      e.inputs.map((i) => i.name),
      ['validatorId', 'newAmount'],
    );
  });

  it('the StakeManager declares none of them: it logs through StakingInfo', () => {
    const sm = loadArtifacts()
      .StakeManager!.abi.filter((i) => i.type === 'event')
      .map((i) => i.name!);
    const clash = sm.filter((n) => BTTC_EVENTS.some((l) => l.startsWith(`${n}(`)));
    assert.deepEqual(clash, []);
    // BTTC's StakeManager ABI names the logger `logger()`.
    assert.ok(loadArtifacts().StakeManager!.abi.some((i) => i.type === 'function' && i.name === 'logger' && (i.inputs ?? []).length === 0));
  });
});
