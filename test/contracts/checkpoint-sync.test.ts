/**
 * StakeManager.submitCheckpointSync with the protocol core's sync record and calldata
 * (src/protocol/checkpoint/checkpoint-sync.ts, calldata.ts): the staking chain takes an Ethereum/BSC
 * checkpoint's record once, signed by ⌊2n/3⌋+1 of its active validators, and acks it through
 * StakingInfo's CheckpointSyncAck, which is what Delivery mirrors.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointSyncSignBytes, signCheckpointSync, type CheckpointSync } from '../../src/protocol/checkpoint/checkpoint-sync.ts';
import { submitCheckpointSyncCalldata, SUBMIT_CHECKPOINT_SYNC_SELECTOR } from '../../src/protocol/checkpoint/calldata.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { deployRootSet, makeValidator, stake, type RootSet, type Validator } from './fixture.ts';

function sigsOf(rec: CheckpointSync, vals: Validator[]) {
  return vals.map((v) => ({ signer: v.signerAddress, signature: signCheckpointSync(rec, v.signer.secret) }));
}

describe('StakeManager.submitCheckpointSync', () => {
  let set: RootSet;
  let vals: Validator[];
  // n = 4 active validators: 3 signatures are needed.
  before(async () => {
    set = await deployRootSet();
    vals = [];
    for (let i = 0; i < 4; i++) {
      const v = makeValidator(`sync-${i}`);
      assert.ok((await stake(set, v)).ok);
      vals.push(v);
    }
  });

  const record = (checkpointNumber: number, rootChainId = 3, over: Partial<CheckpointSync> = {}): CheckpointSync => ({
    proposer: vals[1]!.signerAddress,
    start: (checkpointNumber - 1) * 32,
    end: checkpointNumber * 32 - 1,
    checkpointNumber,
    rootChainId,
    ...over,
  });
  const send = (calldata: Uint8Array) => set.chain.sendRaw(set.gov, set.stakeManager, calldata);
  const synced = async (chainId: number) => (await set.chain.call('StakeManager', set.stakeManager, 'getCurrentSyncedCheckpoint', [BigInt(chainId)]))[0] as bigint;

  it("takes a record signed by 2/3+1 once and acks it from StakingInfo with BTTC's fields", async () => {
    const rec = record(1);
    const calldata = submitCheckpointSyncCalldata(checkpointSyncSignBytes(rec), sigsOf(rec, vals.slice(0, 3)));
    assert.equal(bytesToHex(calldata.subarray(0, 4)), SUBMIT_CHECKPOINT_SYNC_SELECTOR);
    const out = await send(calldata);
    assert.ok(out.ok, out.revert);
    const acks = out.logs.filter((l) => l.name === 'CheckpointSyncAck');
    assert.equal(acks.length, 1);
    const a = acks[0]!;
    assert.equal(a.address, set.stakingInfo, 'emitted by StakingInfo, the address Delivery follows');
    assert.equal(a.args.proposer.toLowerCase(), rec.proposer);
    assert.equal(a.args.chainId, 3n);
    assert.equal(a.args.checkpointId, 1n);
    assert.equal(a.args.start, 0n);
    assert.equal(a.args.end, 31n);
    assert.equal(await synced(3), 1n);
    assert.equal(await synced(2), 0n, 'numbered per root chain');

    // The same record again (a replay, or a second submitter racing the first) is refused.
    const again = await send(calldata);
    assert.equal(again.ok, false);
    assert.equal(again.revert, 'StakeManager: checkpoint number must follow the last synced one');
    assert.equal(await synced(3), 1n);
  });

  it('refuses a number that skips, signatures over another record, too few or repeated signers, non-validators', async () => {
    const base = await synced(3);
    const next = Number(base) + 1;
    const skip = record(next + 1);
    assert.equal((await send(submitCheckpointSyncCalldata(checkpointSyncSignBytes(skip), sigsOf(skip, vals)))).revert, 'StakeManager: checkpoint number must follow the last synced one');

    const rec = record(next);
    // Signed over a record with another end: they recover to other addresses, none of them validators.
    const other = record(next, 3, { end: rec.end + 1 });
    assert.equal((await send(submitCheckpointSyncCalldata(checkpointSyncSignBytes(rec), sigsOf(other, vals)))).revert, '2/3+1 non-majority!');
    // Signed for Ethereum, submitted as BSC.
    const eth = record(next, 2);
    assert.equal((await send(submitCheckpointSyncCalldata(checkpointSyncSignBytes(rec), sigsOf(eth, vals)))).revert, '2/3+1 non-majority!');
    // Two of four.
    assert.equal((await send(submitCheckpointSyncCalldata(checkpointSyncSignBytes(rec), sigsOf(rec, vals.slice(0, 2))))).revert, '2/3+1 non-majority!');
    // Three signatures, one signer twice: counted once (the core refuses to build this, so raw triples).
    const two = submitCheckpointSyncCalldata(checkpointSyncSignBytes(rec), sigsOf(rec, vals.slice(0, 2)));
    const { AbiCoder } = await import('ethers');
    const [data, triples] = AbiCoder.defaultAbiCoder().decode(['bytes', 'uint256[3][]'], two.subarray(4)) as unknown as [string, bigint[][]];
    const dup = await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'submitCheckpointSync', [data, [...triples, triples[1]!]]);
    assert.equal(dup.revert, '2/3+1 non-majority!');
    // Three keys that are not staked.
    const strangers = [0, 1, 2].map((i) => makeValidator(`stranger-${i}`));
    assert.equal((await send(submitCheckpointSyncCalldata(checkpointSyncSignBytes(rec), sigsOf(rec, strangers)))).revert, '2/3+1 non-majority!');
    assert.equal(await synced(3), base, 'nothing was taken');

    // The correctly signed record still goes through, in any signature order (the core sorts them).
    const ok = await send(submitCheckpointSyncCalldata(checkpointSyncSignBytes(rec), sigsOf(rec, [...vals].reverse())));
    assert.ok(ok.ok, ok.revert);
    assert.equal(await synced(3), BigInt(next));
  });

  it("the record is 5 words: a checkpoint's 7-word data is refused", async () => {
    const seven = new Uint8Array(224);
    const out = await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'submitCheckpointSync', [seven, []]);
    assert.equal(out.revert, 'StakeManager: sync data must be 5 words');
  });
});
