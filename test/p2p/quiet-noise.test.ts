/**
 * quietNoise: two real libp2p nodes (TCP on 127.0.0.1, noise, yamux) exchange framed messages; with
 * stock noise every received chunk constructs a RangeError in the frame decoder, with quietNoise
 * none does, and every byte still arrives in order. The RangeError constructor is counted by
 * swapping the global for a counting proxy (the decoder resolves the global at call time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@chainsafe/libp2p-yamux';
import { noise } from '@chainsafe/libp2p-noise';
import type { Stream } from '@libp2p/interface';
import { quietNoise, quietUint16BEDecode } from '../../src/p2p/core/quietNoise.ts';
import { until } from '../helpers/until.ts';

const PROTOCOL = '/bttc-test/quiet-noise/1';
const MESSAGES = 200;

async function pair(encrypter: ReturnType<typeof noise>): Promise<[Libp2p, Libp2p]> {
  const make = () =>
    createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [encrypter], streamMuxers: [yamux()], connectionMonitor: { enabled: false } });
  return [await make(), await make()];
}

/** Sends MESSAGES small messages one event-loop turn apart; returns the received bytes and the RangeErrors constructed meanwhile. */
async function exchange(encrypter: ReturnType<typeof noise>): Promise<{ received: number[]; rangeErrors: number }> {
  const [a, b] = await pair(encrypter);
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
    }
    return { received, rangeErrors };
  } finally {
    await a.stop();
    await b.stop();
  }
}

test('quietNoise: frames arrive intact and the decoder builds no RangeError per chunk (stock noise does)', async () => {
  const expected = Array.from({ length: MESSAGES }, (_, i) => [i & 0xff, 7, 7, 7]).flat();
  const stock = await exchange(noise());
  const quiet = await exchange(quietNoise());
  assert.deepEqual(stock.received, expected);
  assert.deepEqual(quiet.received, expected);
  // Stock: one per received chunk (≥ one per message, sent a turn apart). Quiet: none on the data path.
  assert.ok(stock.rangeErrors >= MESSAGES / 2, `stock noise constructed ${stock.rangeErrors} RangeErrors`);
  assert.ok(quiet.rangeErrors < 5, `quietNoise constructed ${quiet.rangeErrors} RangeErrors`);
});

test('quietUint16BEDecode: big-endian like noise, short input is a RangeError', () => {
  assert.equal(quietUint16BEDecode(Uint8Array.of(0x12, 0x34, 0xff)), 0x1234);
  assert.equal(quietUint16BEDecode({ length: 2, getUint16: () => 0xbeef }), 0xbeef);
  assert.throws(() => quietUint16BEDecode(Uint8Array.of(1)), RangeError);
  assert.throws(() => quietUint16BEDecode(new Uint8Array(0)), RangeError);
});
