/**
 * Governor and Timelock (issue 18): proposals, the anchored tally (checkpoint signature rules, exact
 * x/gov edges, replay), queue/execute after the delay by anyone, the guardian's pause, and a
 * StakeManager parameter owned by the Timelock.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AbiCoder, id as keccakText, Interface } from 'ethers';
import { paramKey } from '../../src/gov/params.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { ballotDigest, domainSeparator, type Ballot } from '../../src/gov/ballot.ts';
import { OUTCOMES, outcome } from '../../src/gov/tally.ts';
import { SUBMIT_TALLY_SELECTOR, tallySignBytes, type TallyRecord } from '../../src/gov/tally-data.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { testKey } from '../helpers/keys.ts';
import { ethersBallotHash } from '../helpers/ballot-eip712.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { E18, sortBySigner } from './fixture.ts';
import { callAt } from './staking-fixture.ts';
import { calldata, deployGovSet, gview, mineTo, stateOf, submitTally, type GovSet } from './gov-fixture.ts';

const ZERO = '0x0000000000000000000000000000000000000000';
const ZERO32 = `0x${'00'.repeat(32)}`;

interface Prop {
  id: bigint;
  targets: string[];
  values: bigint[];
  calldatas: string[];
  description: string;
  snapshot: bigint;
  deadline: bigint;
}

async function propose(set: GovSet, description: string, calls?: { targets: string[]; values: bigint[]; calldatas: string[] }): Promise<Prop> {
  const c = calls ?? { targets: [set.stakeManager], values: [0n], calldatas: [calldata(set, 'StakeManager', 'updateCheckpointReward', [5n * E18])] };
  const out = await set.chain.send(set.vals[0]!.owner, 'Governor', set.governor, 'propose', [c.targets, c.values, c.calldatas, description]);
  assert.ok(out.ok, out.revert);
  const ev = out.logs.find((l) => l.name === 'ProposalCreated')!;
  return { id: ev.args.proposalId as bigint, ...c, description, snapshot: ev.args.voteStart as bigint, deadline: ev.args.voteEnd as bigint };
}

async function record(set: GovSet, p: Prop, counts: Partial<TallyRecord> = {}): Promise<TallyRecord> {
  const total = (await callAt(set.chain, 'StakeVotes', set.stakeVotes, 'getPastTotalSupply', [p.snapshot]))[0] as bigint;
  return {
    governor: set.governor,
    chainId: 2n,
    proposalId: `0x${p.id.toString(16).padStart(64, '0')}`,
    snapshot: p.snapshot,
    deadline: p.deadline,
    forVotes: total,
    againstVotes: 0n,
    abstainVotes: 0n,
    vetoVotes: 0n,
    totalPower: total,
    ballotCount: 4n,
    manifestRoot: `0x${'ab'.repeat(32)}`,
    ...counts,
  };
}

const descHash = (d: string) => keccakText(d);

describe('Governor: interface', () => {
  it("ProposalCreated is OpenZeppelin's; submitTally's selector; hashBallot = TypeScript = ethers EIP-712", async () => {
    const abi = loadArtifacts().Governor!.abi as { type: string; name?: string; inputs?: { type: string }[] }[];
    const sig = (n: string) => {
      const e = abi.find((x) => x.type === 'event' && x.name === n)!;
      return `${n}(${e.inputs!.map((i) => i.type).join(',')})`;
    };
    assert.equal(keccakText(sig('ProposalCreated')), '0x7d84a6263ae0d98d3329bd7b46bb4e8d6f98cd35a7adb45c274c8b7fd5ebd5e0', "OZ's topic0");
    assert.equal(sig('ProposalQueued'), 'ProposalQueued(uint256,uint256)');
    assert.equal(sig('ProposalExecuted'), 'ProposalExecuted(uint256)');
    assert.equal(SUBMIT_TALLY_SELECTOR, keccakText('submitTally(bytes,uint256[3][])').slice(0, 10));
    const set = await deployGovSet({ validators: 1 });
    const b: Ballot = { proposalId: `0x${'12'.repeat(32)}`, support: 3, voter: testKey('voter-x').addressHex, nonce: 7n, reason: 'too risky ✓' };
    const domain = { chainId: 2n, governor: set.governor };
    const ts = bytesToHex(ballotDigest(b, domainSeparator(domain)));
    const onChain = await gview<string>(set, 'hashBallot', [BigInt(b.proposalId), b.support, b.voter, b.nonce, b.reason]);
    const ethersHash = ethersBallotHash({ chainId: 2, governor: set.governor }, { ...b, proposalId: BigInt(b.proposalId) });
    assert.equal(ts, onChain);
    assert.equal(ts, ethersHash);
    assert.equal(bytesToHex(domainSeparator(domain)), await gview<string>(set, 'DOMAIN_SEPARATOR'));
  });

  it('tally sign bytes are the 12-word abi.encode', () => {
    const r: TallyRecord = {
      governor: testKey('g').addressHex,
      chainId: 199n,
      proposalId: `0x${'07'.repeat(32)}`,
      snapshot: 10n,
      deadline: 20n,
      forVotes: 1n,
      againstVotes: 2n,
      abstainVotes: 3n,
      vetoVotes: 4n,
      totalPower: 100n,
      ballotCount: 5n,
      manifestRoot: `0x${'cd'.repeat(32)}`,
    };
    const expected = AbiCoder.defaultAbiCoder().encode(
      ['address', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'bytes32'],
      [r.governor, r.chainId, BigInt(r.proposalId), r.snapshot, r.deadline, r.forVotes, r.againstVotes, r.abstainVotes, r.vetoVotes, r.totalPower, r.ballotCount, r.manifestRoot],
    );
    assert.equal(bytesToHex(tallySignBytes(r)), expected);
  });
});

describe('Governor: proposals', () => {
  let set: GovSet;
  before(async () => {
    set = await deployGovSet();
  });

  it('refuses empty, mismatched, under-threshold and repeated proposals; id is OZ hashProposal', async () => {
    const owner = set.vals[0]!.owner;
    const send = (args: unknown[], from = owner) => set.chain.send(from, 'Governor', set.governor, 'propose', args);
    assert.equal((await send([[], [], [], 'x'])).revert, 'Governor: empty proposal');
    assert.equal((await send([[set.stakeManager], [0n, 1n], ['0x'], 'x'])).revert, 'Governor: invalid proposal length');
    assert.equal((await send([[set.stakeManager], [0n], ['0x', '0x'], 'x'])).revert, 'Governor: invalid proposal length');
    const poor = testKey('gov-poor');
    await set.chain.fund(poor.addressHex);
    assert.equal((await send([[set.stakeManager], [0n], ['0x'], 'x'], poor)).revert, 'Governor: proposer votes below proposal threshold');
    const p = await propose(set, 'proposal one');
    const expected = BigInt(
      bytesToHex(keccak256(hexToBytes(AbiCoder.defaultAbiCoder().encode(['address[]', 'uint256[]', 'bytes[]', 'bytes32'], [p.targets, p.values, p.calldatas, descHash('proposal one')])))),
    );
    assert.equal(p.id, expected);
    assert.equal(p.snapshot, set.chain.number - 1n + set.votingDelay);
    assert.equal(p.deadline, p.snapshot + set.votingPeriod);
    assert.equal((await send([p.targets, p.values, p.calldatas, 'proposal one'])).revert, 'Governor: proposal already exists');
    assert.equal(await gview(set, 'proposalCount'), 1n);
    await assert.rejects(gview(set, 'state', [123n]), /Governor: unknown proposal id/);
  });

  it('moves Pending → Active → Tallying by block number', async () => {
    const p = await propose(set, 'states');
    assert.equal(await stateOf(set, p.id), 'Pending');
    mineTo(set, p.snapshot);
    assert.equal(await stateOf(set, p.id), 'Active');
    mineTo(set, p.deadline);
    assert.equal(await stateOf(set, p.id), 'Tallying');
    await assert.rejects(gview(set, 'proposalTally', [p.id]), /Governor: no tally anchored/);
  });

  it('its parameters change only through the Timelock', async () => {
    for (const [fn, arg] of [
      ['setVotingDelay', 1n],
      ['setVotingPeriod', 1n],
      ['setProposalThreshold', 1n],
    ] as const)
      assert.equal((await set.chain.send(set.gov, 'Governor', set.governor, fn, [arg])).revert, 'Governor: only the timelock', fn);
    assert.equal((await set.chain.send(set.gov, 'Governor', set.governor, 'setDeliveryParam', [paramKey('checkpoint_buffer_time'), 60n])).revert, 'Governor: only the timelock');
  });

  it('setDeliveryParam: a known key within bounds, ParamChanged with the old value; anything else refused', async () => {
    // A Governor whose "timelock" is a test key, so the Timelock-only setter can be called directly.
    const tl = testKey('gov-fake-timelock');
    await set.chain.fund(tl.addressHex);
    const g = (await set.chain.deploy('Governor', set.gov, [set.stakeVotes, set.stakeManager, tl.addressHex, 1n, 1n, 1n])).toLowerCase();
    const key = paramKey('checkpoint_buffer_time');
    assert.equal(((await callAt(set.chain, 'Governor', g, 'CHECKPOINT_BUFFER_TIME'))[0] as string).toLowerCase(), key, 'the TS key is bytes32("checkpoint_buffer_time")');
    const send = (k: string, v: bigint) => set.chain.send(tl, 'Governor', g, 'setDeliveryParam', [k, v]);
    assert.equal((await send(paramKey('sprint_duration'), 64n)).revert, 'Governor: unknown delivery param');
    const span = paramKey('span_duration');
    assert.equal(((await callAt(set.chain, 'Governor', g, 'SPAN_DURATION'))[0] as string).toLowerCase(), span);
    assert.equal((await send(span, 0n)).revert, 'Governor: span_duration out of range');
    assert.equal((await send(span, 10_000_001n)).revert, 'Governor: span_duration out of range');
    assert.ok((await send(span, 10_000_000n)).ok);
    assert.equal((await send(key, 0n)).revert, 'Governor: checkpoint_buffer_time out of range');
    assert.equal((await send(key, 86_401n)).revert, 'Governor: checkpoint_buffer_time out of range');
    for (const [value, old] of [
      [1n, 0n],
      [86_400n, 1n],
      [60n, 86_400n],
    ] as const) {
      const out = await send(key, value);
      assert.ok(out.ok, out.revert);
      const ev = out.logs.find((l) => l.name === 'ParamChanged')!;
      assert.deepEqual([String(ev.args.key).toLowerCase(), ev.args.value, ev.args.oldValue], [key, value, old]);
      assert.equal((await callAt(set.chain, 'Governor', g, 'deliveryParam', [key]))[0], value);
    }
    // The event's signature, pinned: Delivery's watcher decodes it by this topic.
    assert.equal(
      loadArtifacts().Governor!.abi.some((e) => e.type === 'event' && e.name === 'ParamChanged'),
      true,
    );
    assert.equal(new Interface(loadArtifacts().Governor!.abi as never).getEvent('ParamChanged')!.topicHash, keccakText('ParamChanged(bytes32,uint256,uint256)'));
  });
});

describe('Governor: submitTally', () => {
  let set: GovSet;
  let p: Prop;
  before(async () => {
    set = await deployGovSet({ validators: 4 });
    p = await propose(set, 'tally');
  });
  const vals = () => sortBySigner(set.vals);

  it('refuses a tally before voting closes, for another governor or chain, with other parameters or totals', async () => {
    const rec = await (async () => {
      mineTo(set, p.snapshot);
      return record(set, p);
    })();
    assert.equal((await submitTally(set, set.gov, rec, vals())).revert, 'Governor: voting not closed');
    mineTo(set, p.deadline);
    const bad = async (over: Partial<TallyRecord>) => (await submitTally(set, set.gov, { ...rec, ...over }, vals())).revert;
    assert.equal(await bad({ governor: set.stakeManager }), 'Governor: tally for another governor or chain');
    assert.equal(await bad({ chainId: 3n }), 'Governor: tally for another governor or chain');
    assert.equal(await bad({ proposalId: `0x${'01'.repeat(32)}` }), 'Governor: unknown proposal id');
    assert.equal(await bad({ snapshot: p.snapshot + 1n }), 'Governor: tally snapshot or deadline differs from the proposal');
    assert.equal(await bad({ deadline: p.deadline - 1n }), 'Governor: tally snapshot or deadline differs from the proposal');
    assert.equal(await bad({ totalPower: rec.totalPower + 1n }), 'Governor: tally total power differs from the snapshot');
    assert.equal(await bad({ againstVotes: 1n }), 'Governor: tally counts exceed the total power');
    const short = await set.chain.sendRaw(set.gov, set.governor, hexToBytes(`${SUBMIT_TALLY_SELECTOR}${'00'.repeat(64)}`));
    assert.equal(short.ok, false);
  });

  it('one signature short of ⌊2n/3⌋+1 is refused; a repeated or unsorted signer does not count; exactly enough is taken once', async () => {
    const rec = await record(set, p);
    const v = vals();
    // n = 4: 3 needed.
    assert.equal((await submitTally(set, set.gov, rec, v.slice(0, 2))).revert, '2/3+1 non-majority!');
    const stranger = { ...v[0]!, signer: testKey('not-a-validator'), signerAddress: testKey('not-a-validator').addressHex };
    assert.equal((await submitTally(set, set.gov, rec, [v[0]!, v[1]!, stranger])).revert, '2/3+1 non-majority!', 'a non-validator does not count');
    const out = await submitTally(set, set.gov, rec, v.slice(1, 4));
    assert.ok(out.ok, out.revert);
    const ev = out.logs.find((l) => l.name === 'TallyAnchored')!;
    assert.equal(ev.args.signed, 3n);
    assert.equal(OUTCOMES[Number(ev.args.outcome)], 'passed');
    assert.equal(ev.args.manifestRoot, rec.manifestRoot);
    assert.equal(await stateOf(set, p.id), 'Succeeded');
    const t = await gview<{ forVotes: bigint; manifestRoot: string }>(set, 'proposalTally', [p.id]);
    assert.equal(t.forVotes, rec.forVotes);
    assert.equal((await submitTally(set, set.gov, rec, v)).revert, 'Governor: tally already anchored', 'a replayed tally is refused');
    assert.equal((await submitTally(set, set.gov, { ...rec, forVotes: 0n }, v)).revert, 'Governor: tally already anchored', 'a second, different tally too');
  });

  it('a high-s or bad-v signature recovers to nobody', async () => {
    const q = await propose(set, 'malleable');
    mineTo(set, q.deadline);
    const rec = await record(set, q);
    const v = vals();
    const { sigsFor } = await import('./gov-fixture.ts');
    const { submitTallyCalldata } = await import('../../src/gov/tally-data.ts');
    const sigs = sigsFor(rec, v.slice(0, 3));
    sigs[2]!.signature = Uint8Array.from(sigs[2]!.signature);
    sigs[2]!.signature[64] = 5; // not 0/1/27/28: the calldata helper refuses it, so patch the triple
    assert.throws(() => submitTallyCalldata(rec, sigs), /signature v must be/);
    const good = sigsFor(rec, v.slice(0, 3));
    const cd = submitTallyCalldata(rec, good);
    // Flip s to n - s (high s) in the last triple: same signer in plain ecrecover, refused by the rule.
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sOff = cd.length - 64;
    const s = BigInt(bytesToHex(cd.subarray(sOff, sOff + 32)));
    const v0 = cd[cd.length - 1]!;
    cd.set(hexToBytes(`0x${(N - s).toString(16).padStart(64, '0')}`), sOff);
    cd[cd.length - 1] = v0 === 27 ? 28 : 27;
    assert.equal((await set.chain.sendRaw(set.gov, set.governor, cd)).revert, '2/3+1 non-majority!');
  });
});

describe('Governor: x/gov outcome edges (BTTC order and parameters)', () => {
  let set: GovSet;
  before(async () => {
    set = await deployGovSet({ validators: 1 });
  });
  const onChain = async (f: bigint, a: bigint, ab: bigint, v: bigint, t: bigint) => OUTCOMES[Number(await gview(set, 'outcome', [f, a, ab, v, t]))];
  const cases: [string, bigint, bigint, bigint, bigint, bigint][] = [
    ['no-quorum', 333n, 0n, 0n, 0n, 1000n], // 0.333 < 0.334
    ['passed', 334n, 0n, 0n, 0n, 1000n], // exactly the quorum
    ['no-quorum', 0n, 0n, 0n, 0n, 0n],
    ['all-abstain', 0n, 0n, 1000n, 0n, 1000n],
    ['rejected', 500n, 500n, 0n, 0n, 1000n], // exactly 0.5: not above the threshold
    ['passed', 501n, 499n, 0n, 0n, 1000n],
    ['passed', 1n, 0n, 999n, 0n, 1000n], // abstain is out of the threshold's denominator
    ['passed', 666n, 0n, 0n, 334n, 1000n], // veto exactly 0.334: not above
    ['vetoed', 665n, 0n, 0n, 335n, 1000n],
    ['vetoed', 1000n, 0n, 0n, 999n, 5000n], // veto is checked before the threshold
    ['rejected', 400n, 300n, 0n, 300n, 1000n],
  ];
  for (const [want, f, a, ab, v, t] of cases)
    it(`${want}: for ${f} against ${a} abstain ${ab} veto ${v} of ${t}`, async () => {
      assert.equal(await onChain(f, a, ab, v, t), want);
      assert.equal(outcome({ forVotes: f, againstVotes: a, abstainVotes: ab, vetoVotes: v }, t), want, 'TypeScript agrees');
    });

  it('TypeScript and the contract agree on random counts', async () => {
    const arb = fc.tuple(
      fc.bigInt({ min: 0n, max: 10n ** 24n }),
      fc.bigInt({ min: 0n, max: 10n ** 24n }),
      fc.bigInt({ min: 0n, max: 10n ** 24n }),
      fc.bigInt({ min: 0n, max: 10n ** 24n }),
      fc.bigInt({ min: 0n, max: 5n * 10n ** 24n }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([f, a, ab, v, t]) => {
        assert.equal(await onChain(f, a, ab, v, t), outcome({ forVotes: f, againstVotes: a, abstainVotes: ab, vetoVotes: v }, t));
      }),
      { numRuns: 60 },
    );
  });
});

describe('Governor + Timelock: queue, delay, execute, pause', () => {
  let set: GovSet;
  before(async () => {
    set = await deployGovSet({ validators: 4 });
  });
  const vals = () => sortBySigner(set.vals);

  it('a passed StakeManager change is queued and executed by anyone after the delay; the timelock delay itself too', async () => {
    const calls = {
      targets: [set.stakeManager, set.timelock],
      values: [0n, 0n],
      calldatas: [calldata(set, 'StakeManager', 'updateCheckpointReward', [7n * E18]), calldata(set, 'Timelock', 'updateDelay', [50n])],
    };
    const p = await propose(set, 'reward 7', calls);
    const args = [calls.targets, calls.values, calls.calldatas, descHash('reward 7')];
    const anyone = testKey('gov-anyone');
    await set.chain.fund(anyone.addressHex);
    assert.equal((await set.chain.send(anyone, 'Governor', set.governor, 'queue', args)).revert, 'Governor: proposal not successful', 'not before the tally');
    mineTo(set, p.deadline);
    assert.ok((await submitTally(set, anyone, await record(set, p), vals())).ok);
    assert.equal((await set.chain.send(anyone, 'Governor', set.governor, 'execute', args)).revert, 'Governor: proposal not queued');
    const q = await set.chain.send(anyone, 'Governor', set.governor, 'queue', args);
    assert.ok(q.ok, q.revert);
    assert.equal(q.logs.find((l) => l.name === 'ProposalQueued')!.args.etaSeconds, set.chain.timestamp - 1n + set.delay);
    assert.equal(await stateOf(set, p.id), 'Queued');
    assert.equal((await set.chain.send(anyone, 'Governor', set.governor, 'queue', args)).revert, 'Governor: proposal not successful', 'queued once');
    assert.equal((await set.chain.send(anyone, 'Governor', set.governor, 'execute', args)).revert, 'Timelock: delay not passed');
    set.chain.timestamp += set.delay;
    const ex = await set.chain.send(anyone, 'Governor', set.governor, 'execute', args);
    assert.ok(ex.ok, ex.revert);
    assert.equal(await stateOf(set, p.id), 'Executed');
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'checkpointReward'))[0], 7n * E18);
    assert.equal((await set.chain.call('Timelock', set.timelock, 'delay'))[0], 50n);
    assert.equal((await set.chain.send(anyone, 'Governor', set.governor, 'execute', args)).revert, 'Governor: proposal not queued');
  });

  it('a defeated proposal cannot be queued', async () => {
    const p = await propose(set, 'defeat me');
    mineTo(set, p.deadline);
    const rec = await record(set, p, { forVotes: 0n, againstVotes: (await record(set, p)).totalPower });
    const out = await submitTally(set, set.gov, rec, vals());
    assert.equal(OUTCOMES[Number(out.logs.find((l) => l.name === 'TallyAnchored')!.args.outcome)], 'rejected');
    assert.equal(await stateOf(set, p.id), 'Defeated');
    assert.equal((await set.chain.send(set.gov, 'Governor', set.governor, 'queue', [p.targets, p.values, p.calldatas, descHash(p.description)])).revert, 'Governor: proposal not successful');
  });

  it('the guardian pauses and cancels but can neither schedule nor execute; execution waits while paused', async () => {
    const calls = { targets: [set.stakeManager], values: [0n], calldatas: [calldata(set, 'StakeManager', 'updateCheckpointReward', [9n * E18])] };
    const p = await propose(set, 'paused', calls);
    const args = [calls.targets, calls.values, calls.calldatas, descHash('paused')];
    mineTo(set, p.deadline);
    assert.ok((await submitTally(set, set.gov, await record(set, p), vals())).ok);
    assert.ok((await set.chain.send(set.gov, 'Governor', set.governor, 'queue', args)).ok);
    const g = set.guardian;
    const salt = `0x${p.id.toString(16).padStart(64, '0')}`;
    const tl = (from: typeof g, fn: string, a: unknown[] = []) => set.chain.send(from, 'Timelock', set.timelock, fn, a);
    assert.equal((await tl(set.gov, 'pause')).revert, 'Timelock: only the guardian');
    assert.equal((await tl(g, 'unpause')).revert, 'Timelock: not paused');
    assert.ok((await tl(g, 'pause')).ok);
    assert.equal((await tl(g, 'pause')).revert, 'Timelock: already paused');
    assert.equal((await tl(g, 'scheduleBatch', [calls.targets, calls.values, calls.calldatas, ZERO32])).revert, 'Timelock: only the proposer');
    set.chain.timestamp += 1000n;
    assert.equal((await tl(g, 'executeBatch', [calls.targets, calls.values, calls.calldatas, salt])).revert, 'Timelock: paused', 'not even the guardian');
    assert.equal((await set.chain.send(g, 'Governor', set.governor, 'execute', args)).revert, 'Timelock: paused');
    assert.ok((await tl(g, 'unpause')).ok);
    // Executed straight on the Timelock by anyone: the Governor reads it as Executed.
    const ex = await tl(testKey('gov-anyone'), 'executeBatch', [calls.targets, calls.values, calls.calldatas, salt]);
    assert.ok(ex.ok, ex.revert);
    assert.equal(await stateOf(set, p.id), 'Executed');
    assert.equal((await tl(g, 'executeBatch', [calls.targets, calls.values, calls.calldatas, salt])).revert, 'Timelock: already executed');
    assert.equal((await tl(g, 'cancel', [ZERO32])).revert, 'Timelock: nothing pending to cancel');
  });

  it('a cancelled batch cannot execute', async () => {
    const calls = { targets: [set.stakeManager], values: [0n], calldatas: [calldata(set, 'StakeManager', 'updateCheckpointReward', [3n * E18])] };
    const p = await propose(set, 'cancel me', calls);
    mineTo(set, p.deadline);
    assert.ok((await submitTally(set, set.gov, await record(set, p), vals())).ok);
    const q = await set.chain.send(set.gov, 'Governor', set.governor, 'queue', [calls.targets, calls.values, calls.calldatas, descHash('cancel me')]);
    const opId = q.logs.length
      ? ((await callAt(set.chain, 'Timelock', set.timelock, 'hashOperationBatch', [calls.targets, calls.values, calls.calldatas, `0x${p.id.toString(16).padStart(64, '0')}`]))[0] as string)
      : '';
    assert.ok((await set.chain.send(set.guardian, 'Timelock', set.timelock, 'cancel', [opId])).ok);
    set.chain.timestamp += 1000n;
    assert.equal((await set.chain.send(set.gov, 'Governor', set.governor, 'execute', [calls.targets, calls.values, calls.calldatas, descHash('cancel me')])).revert, 'Timelock: not scheduled');
  });

  it('Timelock: self-governed setters, one-time proposer, bounds, failing call bubbles its reason', async () => {
    const tl = (fn: string, a: unknown[] = []) => set.chain.send(set.gov, 'Timelock', set.timelock, fn, a);
    assert.equal((await tl('updateDelay', [10n])).revert, 'Timelock: only the timelock itself');
    assert.equal((await tl('setGuardian', [set.gov.addressHex])).revert, 'Timelock: only the timelock itself');
    assert.equal((await tl('setProposer', [set.gov.addressHex])).revert, 'Timelock: only the timelock itself');
    assert.equal((await tl('initProposer', [set.gov.addressHex])).revert, 'Timelock: proposer already set');
    assert.equal((await tl('executeBatch', [[set.stakeManager], [0n], ['0x'], ZERO32])).revert, 'Timelock: not scheduled');
    assert.equal((await tl('executeBatch', [[set.stakeManager], [0n, 1n], ['0x'], ZERO32])).revert, 'Timelock: length mismatch');
    await assert.rejects(set.chain.deploy('Timelock', set.gov, [ZERO, set.guardian.addressHex, 0n]), /Timelock: delay out of range/);
    await assert.rejects(set.chain.deploy('Timelock', set.gov, [ZERO, ZERO, 10n]), /Timelock: zero guardian/);
    // The StakeManager answers only to the Timelock now.
    assert.equal((await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'updateCheckpointReward', [1n])).revert, 'StakeManager: only governance');
    // A proposal whose call reverts: execute reverts with the call's reason.
    const calls = { targets: [set.stakeManager], values: [0n], calldatas: [calldata(set, 'StakeManager', 'updateProposerBonus', [101n])] };
    const p = await propose(set, 'bonus 101', calls);
    mineTo(set, p.deadline);
    assert.ok((await submitTally(set, set.gov, await record(set, p), vals())).ok);
    const args = [calls.targets, calls.values, calls.calldatas, descHash('bonus 101')];
    assert.ok((await set.chain.send(set.gov, 'Governor', set.governor, 'queue', args)).ok);
    set.chain.timestamp += 1000n;
    const ex = await set.chain.send(set.gov, 'Governor', set.governor, 'execute', args);
    assert.equal(ex.ok, false);
    assert.match(ex.revert ?? '', /StakeManager/);
  });
});
