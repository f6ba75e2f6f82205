/**
 * quietNoise and lazyYamux: two real libp2p nodes (TCP on 127.0.0.1, noise, yamux) exchange small
 * messages. Stock: per message, two socket writes for the data frame (length, ciphertext), two
 * more for yamux's window update back, and a RangeError built by each receiving frame decoder.
 * Ours: one write per message and no RangeError, every byte still in order; a 3 MiB transfer (12
 * initial windows) still completes, so window updates still flow. RangeError and Socket#write are
 * counted by swapping in counting wrappers (the decoder resolves the global at call time).
 */
import { test } from 'node:test';
import { Socket } from 'node:net';
import assert from 'node:assert/strict';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@chainsafe/libp2p-yamux';
import { noise } from '@chainsafe/libp2p-noise';
import type { Stream } from '@libp2p/interface';
import { LengthPrefixedDecoder } from '@libp2p/utils';
import { quietNoise, quietUint16BEDecode, WAIT_FOR_MORE } from '../../src/p2p/core/quietNoise.ts';
import { lazyYamux } from '../../src/p2p/core/lazyYamux.ts';
import { until } from '../helpers/until.ts';
import { countCalls } from '../helpers/count-calls.ts';

const PROTOCOL = '/bttc-test/quiet-noise/1';
const MESSAGES = 200;

interface Stack {
  encrypter: ReturnType<typeof noise>;
  muxer: ReturnType<typeof yamux>;
}
const STOCK = (): Stack => ({ encrypter: noise(), muxer: yamux() });
const OURS = (): Stack => ({ encrypter: quietNoise(), muxer: lazyYamux() });

async function pair(stack: Stack): Promise<[Libp2p, Libp2p]> {
  const make = () =>
    createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [stack.encrypter], streamMuxers: [stack.muxer], connectionMonitor: { enabled: false } });
  return [await make(), await make()];
}

/** Sends MESSAGES small messages one event-loop turn apart; returns the received bytes, the RangeErrors constructed and the socket writes made meanwhile. */
async function exchange(stack: Stack): Promise<{ received: number[]; rangeErrors: number; writes: number }> {
  const [a, b] = await pair(stack);
  const received: number[] = [];
  try {
    await b.handle(PROTOCOL, (stream: Stream) => {
      stream.addEventListener('message', (evt) => {
        for (const chunk of evt.data instanceof Uint8Array ? [evt.data] : [...evt.data]) received.push(...chunk);
      });
    });
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTOCOL);
    const Original = globalThis.RangeError;
    let rangeErrors = 0;
    const writes = countCalls(Socket.prototype, 'write');
    globalThis.RangeError = new Proxy(Original, {
      apply: (target, self, args: [string?]) => {
        rangeErrors++;
        return Reflect.apply(target, self, args);
      },
      construct: (target, args: [string?]) => {
        rangeErrors++;
        return Reflect.construct(target, args);
      },
    });
    try {
      for (let i = 0; i < MESSAGES; i++) {
        stream.send(Uint8Array.of(i & 0xff, 7, 7, 7));
        await new Promise((r) => setImmediate(r));
      }
      await until('every message arrived', 10_000, () => received.length >= MESSAGES * 4);
    } finally {
      globalThis.RangeError = Original;
      writes.restore();
    }
    return { received, rangeErrors, writes: writes.count };
  } finally {
    await a.stop();
    await b.stop();
  }
}

test('quietNoise + lazyYamux: messages arrive intact with one socket write each and no RangeError (stock: four writes, a RangeError)', async () => {
  const expected = Array.from({ length: MESSAGES }, (_, i) => [i & 0xff, 7, 7, 7]).flat();
  const stock = await exchange(STOCK());
  const quiet = await exchange(OURS());
  assert.deepEqual(stock.received, expected);
  assert.deepEqual(quiet.received, expected);
  // Stock: one per received chunk (≥ one per message, sent a turn apart). Quiet: none on the data path.
  assert.ok(stock.rangeErrors >= MESSAGES / 2, `stock noise constructed ${stock.rangeErrors} RangeErrors`);
  assert.ok(quiet.rangeErrors < 5, `quietNoise constructed ${quiet.rangeErrors} RangeErrors`);
  // Stock: a length write and a ciphertext write per frame, and a window-update frame back per message. Ours: one write per message.
  assert.ok(stock.writes >= 3.5 * MESSAGES, `stock: ${stock.writes} socket writes for ${MESSAGES} messages`);
  assert.ok(quiet.writes <= MESSAGES * 1.2, `quietNoise: ${quiet.writes} socket writes for ${MESSAGES} messages`);
});

test('lazyYamux: 3 MiB in 64 KiB sends arrive intact (window updates still flow)', async () => {
  const [a, b] = await pair(OURS());
  try {
    let got = 0;
    let sum = 0;
    await b.handle(PROTOCOL, (stream: Stream) => {
      stream.addEventListener('message', (evt) => {
        for (const chunk of evt.data instanceof Uint8Array ? [evt.data] : [...evt.data]) {
          got += chunk.length;
          for (const x of chunk) sum = (sum + x) % 65_521;
        }
      });
    });
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTOCOL);
    const chunk = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) & 0xff);
    let expectedSum = 0;
    for (let i = 0; i < 48; i++) {
      for (const x of chunk) expectedSum = (expectedSum + x) % 65_521;
      if (!stream.send(chunk)) await new Promise((r) => stream.addEventListener('drain', r, { once: true }));
    }
    await until(
      () => `3 MiB arrived (got ${got})`,
      20_000,
      () => got >= 48 * chunk.length,
    );
    assert.equal(got, 48 * chunk.length);
    assert.equal(sum, expectedSum);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('quietUint16BEDecode: big-endian like noise; short input answers a length it cannot hold', () => {
  assert.equal(quietUint16BEDecode(Uint8Array.of(0x12, 0x34, 0xff)), 0x1234);
  assert.equal(quietUint16BEDecode({ length: 2, getUint16: () => 0xbeef }), 0xbeef);
  assert.equal(quietUint16BEDecode(Uint8Array.of(1)), WAIT_FOR_MORE);
  assert.equal(quietUint16BEDecode(new Uint8Array(0)), WAIT_FOR_MORE);
  assert.equal(quietUint16BEDecode({ length: 1 }), WAIT_FOR_MORE);
  // The decoder it goes into: a 1-byte buffer waits (yields nothing, keeps the byte), then the frame decodes.
  const decoder = new LengthPrefixedDecoder({ lengthDecoder: quietUint16BEDecode, encodingLength: () => 2 });
  assert.deepEqual([...decoder.decode(Uint8Array.of(0))], []);
  const frames = [...decoder.decode(Uint8Array.of(3, 9, 8, 7, 0))].map((f) => [...f.subarray()]);
  assert.deepEqual(frames, [[9, 8, 7]]);
  assert.deepEqual(
    [...decoder.decode(Uint8Array.of(1, 5))].map((f) => [...f.subarray()]),
    [[5]],
  );
});
