import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { CheckpointSubmitter } from '../../src/root/submitter.ts';
import { FakeRootClient } from './fake-client.ts';

const CP = { start: 256n, end: 511n, calldata: Uint8Array.of(0x4e, 0x43, 0xe4, 0x95) };
const fast = { receiptTimeoutMs: 30, receiptPollMs: 5, maxAttempts: 4, feeBumpPercent: 15 };

function mined(client: FakeRootClient, txHash: string, status: 'success' | 'reverted' = 'success') {
  client.receipts.set(txHash, { txHash, status, blockNumber: 42, gasUsed: 90_000n, logs: [] });
}

describe('CheckpointSubmitter', () => {
  it('submits: estimate + margin, receipt, metrics', async () => {
    const client = new FakeRootClient();
    client.headerBlock = 10000n;
    client.lastChild = 255n;
    client.onSend = (_n, h) => mined(client, h);
    const metrics = new Registry();
    const s = new CheckpointSubmitter(fast, { client, metrics });
    const out = await s.submit(CP);
    assert.equal(out.outcome, 'submitted');
    assert.equal(out.attempts, 1);
    assert.equal(client.sent.length, 1);
    assert.equal(client.sent[0]!.opts.gasLimit, 120_000n);
    assert.equal(client.sent[0]!.opts.gasPrice, 1_000_000_000n);
    assert.deepEqual(client.sent[0]!.calldata, CP.calldata);
    assert.match(await metrics.metrics(), /bttc_checkpoint_submit_outcomes_total\{root_chain="2",outcome="submitted"\} 1/);
  });

  it('recognises a range the chain already has and sends nothing', async () => {
    const client = new FakeRootClient();
    client.headerBlock = 20000n;
    client.lastChild = 511n;
    const out = await new CheckpointSubmitter(fast, { client }).submit(CP);
    assert.equal(out.outcome, 'already-submitted');
    assert.equal(client.sent.length, 0);
  });

  it('a revert at estimation because someone else landed it first is "already submitted"', async () => {
    const client = new FakeRootClient();
    client.headerBlock = 10000n;
    client.lastChild = 255n;
    client.estimateError = 'execution reverted: RootChain: start must be the previous end + 1';
    // The competitor's checkpoint lands between our first check and the estimate.
    let checks = 0;
    const orig = client.lastChildBlock.bind(client);
    client.lastChildBlock = async () => (++checks > 1 ? 511n : orig());
    const out = await new CheckpointSubmitter(fast, { client }).submit(CP);
    assert.equal(out.outcome, 'already-submitted');
    assert.equal(client.sent.length, 0);
  });

  it('a genuine revert at estimation fails with the reason', async () => {
    const client = new FakeRootClient();
    client.estimateError = 'execution reverted: 2/3+1 non-majority!';
    const out = await new CheckpointSubmitter(fast, { client }).submit(CP);
    assert.equal(out.outcome, 'failed');
    assert.match((out as { reason: string }).reason, /non-majority/);
  });

  it('on a receipt timeout re-sends with the same nonce and a 15% higher gas price; the bumped tx is mined', async () => {
    const client = new FakeRootClient();
    client.onSend = (n, h) => {
      if (n === 3) mined(client, h);
    };
    const out = await new CheckpointSubmitter(fast, { client }).submit(CP);
    assert.equal(out.outcome, 'submitted');
    assert.equal(out.attempts, 3);
    assert.deepEqual(
      client.sent.map((s) => s.opts.gasPrice),
      [1_000_000_000n, 1_150_000_000n, 1_322_500_000n],
    );
    assert.deepEqual(
      client.sent.map((s) => s.opts.nonce),
      [undefined, 7, 7],
    );
    assert.equal(out.txHash, client.sent[2]!.txHash);
  });

  it('an earlier (replaced) transaction that gets mined still counts', async () => {
    const client = new FakeRootClient();
    client.onSend = (n) => {
      if (n === 2) mined(client, client.sent[0]!.txHash);
    };
    const out = await new CheckpointSubmitter(fast, { client }).submit(CP);
    assert.equal(out.outcome, 'submitted');
    assert.equal(out.txHash, client.sent[0]!.txHash);
  });

  it('stops bumping when another submitter lands the range during a timeout', async () => {
    const client = new FakeRootClient();
    client.onSend = () => {
      client.headerBlock = 10000n;
      client.lastChild = 600n;
    };
    const out = await new CheckpointSubmitter(fast, { client }).submit(CP);
    assert.equal(out.outcome, 'already-submitted');
    assert.equal(client.sent.length, 1);
  });

  it('gives up after maxAttempts, capped by maxGasPrice', async () => {
    const client = new FakeRootClient();
    const out = await new CheckpointSubmitter({ ...fast, maxGasPrice: 1_200_000_000n }, { client }).submit(CP);
    assert.equal(out.outcome, 'failed');
    assert.equal(client.sent.length, 4);
    assert.deepEqual(
      client.sent.map((s) => s.opts.gasPrice),
      [1_000_000_000n, 1_150_000_000n, 1_200_000_000n, 1_200_000_000n],
    );
  });

  it('a reverted receipt is reported as failed unless the chain has the range', async () => {
    const client = new FakeRootClient();
    client.onSend = (_n, h) => mined(client, h, 'reverted');
    const out = await new CheckpointSubmitter(fast, { client }).submit(CP);
    assert.equal(out.outcome, 'failed');
    assert.equal((out as { reason: string }).reason, 'transaction reverted');
  });
});

describe("CheckpointSubmitter.submitSync (the staking chain's StakeManager)", () => {
  const SYNC = { rootChainId: 3, number: 2n, start: 32n, end: 63n, calldata: Uint8Array.of(0xd2, 0xad, 0xa5, 0x73) };

  it('sends the record to the StakeManager, not the RootChain; metrics per synced chain', async () => {
    const client = new FakeRootClient(2);
    client.synced.set(3, 1n);
    client.onSend = (_n, h) => mined(client, h);
    const metrics = new Registry();
    const out = await new CheckpointSubmitter(fast, { client, metrics }).submitSync(SYNC);
    assert.equal(out.outcome, 'submitted');
    assert.deepEqual(client.estimated, ['stakeManager']);
    assert.equal(client.sent.length, 1);
    assert.equal(client.sent[0]!.opts.to, 'stakeManager');
    assert.deepEqual(client.sent[0]!.calldata, SYNC.calldata);
    const page = await metrics.metrics();
    assert.match(page, /bttc_checkpoint_sync_submit_outcomes_total\{root_chain="2",synced_chain="3",outcome="submitted"\} 1/);
    assert.match(page, /bttc_checkpoint_sync_submitted_number\{root_chain="2",synced_chain="3"\} 2/);
    assert.doesNotMatch(page, /bttc_checkpoint_submit_outcomes_total\{/, 'not counted as a checkpoint');
  });

  it('a number the StakeManager already synced (for that root chain) is not sent again', async () => {
    const client = new FakeRootClient(2);
    client.synced.set(3, 2n);
    assert.equal((await new CheckpointSubmitter(fast, { client }).submitSync(SYNC)).outcome, 'already-submitted');
    assert.equal(client.sent.length, 0);
    // Another root chain's count says nothing about this one.
    const other = new FakeRootClient(2);
    other.synced.set(2, 5n);
    other.onSend = (_n, h) => mined(other, h);
    assert.equal((await new CheckpointSubmitter(fast, { client: other }).submitSync(SYNC)).outcome, 'submitted');
  });

  it('a revert because another validator landed it during the wait is "already submitted"', async () => {
    const client = new FakeRootClient(2);
    client.synced.set(3, 1n);
    client.onSend = (_n, h) => {
      client.synced.set(3, 2n);
      mined(client, h, 'reverted');
    };
    const out = await new CheckpointSubmitter(fast, { client }).submitSync(SYNC);
    assert.equal(out.outcome, 'already-submitted');
  });
});
