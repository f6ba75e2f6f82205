/**
 * Publish failures are no longer swallowed: every one is counted by kind and reason, and logged at
 * warn unless it is the expected "no peer subscribed yet"; a publish nobody received is counted too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createNetwork, createNetworkKey } from '../../src/p2p/index.ts';
import { publishFailureReason } from '../../src/p2p/networkClient.ts';
import { CHAIN_ID, metricValue } from './helpers.ts';

test('publish failures are counted and warned about; a publish that reached nobody is counted', async () => {
  const lines: { level: number; msg: string; reason?: string; kind?: string }[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(JSON.parse(chunk.toString())), cb()) });
  const metrics = new Registry();
  const net = createNetwork(
    { chainId: CHAIN_ID, privateKey: await createNetworkKey(), listen: ['/ip4/127.0.0.1/tcp/0'], inWorker: false, logLevel: 'silent' },
    { metrics, logger: pino({ level: 'warn' }, sink) },
  );
  await net.start();
  try {
    // Past the kind's size limit (bttc-tx: 256 KiB): refused by the network core.
    await assert.rejects(net.publish('bttc-tx', new Uint8Array(300 * 1024)), /exceeds the \d+-byte limit/);
    assert.equal(await metricValue(metrics, 'bttc_p2p_publish_errors_total', { kind: 'bttc-tx', reason: 'too-large' }), 1);
    const warn = lines.find((l) => l.msg === 'gossip publish failed');
    assert.ok(warn && warn.level === 40 && warn.kind === 'bttc-tx' && warn.reason === 'too-large', JSON.stringify(lines));
    // Alone: the publish succeeds with no recipient, counted, not warned about.
    assert.equal((await net.publish('bttc-block', new Uint8Array([1, 2, 3]))).recipients, 0);
    assert.equal(await metricValue(metrics, 'bttc_p2p_publish_no_recipients_total', { kind: 'bttc-block' }), 1);
    assert.equal(lines.length, 1);
  } finally {
    await net.close();
  }
  await assert.rejects(net.publish('bttc-block', new Uint8Array([1])), /network closed/);
  assert.equal(await metricValue(metrics, 'bttc_p2p_publish_errors_total', { reason: 'closed' }), 1);
  assert.equal(publishFailureReason('PublishError.NoPeersSubscribedToTopic'), 'no-peers');
  assert.equal(publishFailureReason('publish bttc-tx: boom'), 'error');
});
