/**
 * ChainEvents.publish reads only what current subscribers need: nothing without subscribers, the
 * header for newHeads, and the block's logs (body + receipts) only while someone subscribes to logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainEvents, type HeadSource } from '../../src/rpc/events.ts';
import { hashHeader } from '../../src/evm/block.ts';
import type { HeaderFields } from '../../src/evm/interface.ts';
import type { LocatedLog } from '../../src/chain/interface.ts';

const header: HeaderFields = {
  parentHash: new Uint8Array(32),
  uncleHash: new Uint8Array(32),
  coinbase: new Uint8Array(20),
  stateRoot: new Uint8Array(32),
  txRoot: new Uint8Array(32),
  receiptRoot: new Uint8Array(32),
  bloom: new Uint8Array(256),
  difficulty: 1n,
  number: 7n,
  gasLimit: 20_000_000n,
  gasUsed: 0n,
  time: 1000n,
  extra: new Uint8Array(97),
  mixDigest: new Uint8Array(32),
  nonce: new Uint8Array(8),
};
const hash = hashHeader(header);
const log: LocatedLog = {
  address: new Uint8Array(20).fill(1),
  topics: [],
  data: new Uint8Array(0),
  blockHash: hash,
  blockNumber: 7n,
  txHash: new Uint8Array(32),
  txIndex: 0,
  logIndex: 0,
  removed: false,
};

class CountingChain implements HeadSource {
  headers = 0;
  logs = 0;
  async getHeader() {
    this.headers++;
    return header;
  }
  async getBlockLogs() {
    this.logs++;
    return [log];
  }
}

test('publish reads the header only for newHeads subscribers and the logs only for log subscribers', async () => {
  const events = new ChainEvents();
  const chain = new CountingChain();
  await events.publish(chain, hash);
  assert.deepEqual([chain.headers, chain.logs], [0, 0], 'no subscriber: nothing read');

  const heads: bigint[] = [];
  const offHead = events.onHead((ev) => heads.push(ev.header.number));
  await events.publish(chain, hash);
  assert.deepEqual([chain.headers, chain.logs], [1, 0], 'newHeads only: no logs read');
  assert.deepEqual(heads, [7n]);

  const seen: LocatedLog[] = [];
  const offLogs = events.onLogs((ls) => seen.push(...ls));
  await events.publish(chain, hash);
  assert.deepEqual([chain.headers, chain.logs], [2, 1]);
  assert.equal(seen.length, 1);
  assert.deepEqual(heads, [7n, 7n]);

  offHead();
  offLogs();
  await events.publish(chain, hash);
  assert.deepEqual([chain.headers, chain.logs], [2, 1], 'unsubscribed: nothing read again');
});
