/**
 * The WAN bench's latency relay on loopback: an echo server behind it, so each round trip crosses
 * the relay twice (one-way latency each way). Measures the added delay against the configured one,
 * checks bytes arrive intact and in order under jitter, half-closes pass through after the delayed
 * data, latency changes at run time, and dropAfterMs cuts connections.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { LatencyRelay } from '../../src/testnet/latency-relay.ts';

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

function open(port: number): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true });
    s.once('connect', () => res(s));
    s.once('error', rej);
  });
}

/** Sends `msg` and resolves with the ms until it came back in full. */
function roundTrip(s: Socket, msg: Buffer): Promise<number> {
  return new Promise((res) => {
    let got = 0;
    const t0 = performance.now();
    const on = (d: Buffer) => {
      got += d.length;
      if (got >= msg.length) {
        s.off('data', on);
        res(performance.now() - t0);
      }
    };
    s.on('data', on);
    s.write(msg);
  });
}

async function withRelay(opts: { latencyMs: number; jitterMs?: number; dropAfterMs?: number }, fn: (port: number, relay: LatencyRelay) => Promise<void>): Promise<void> {
  const echo = await echoServer();
  const relay = new LatencyRelay({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: echo.port }, ...opts });
  const addr = await relay.start();
  try {
    await fn(addr.port, relay);
  } finally {
    await relay.close();
    echo.server.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('latency relay: a round trip takes 2 × the one-way latency (within tolerance), and 0 ms adds ~nothing', async () => {
  for (const latencyMs of [0, 40]) {
    await withRelay({ latencyMs }, async (port) => {
      const s = await open(port);
      const rtts: number[] = [];
      for (let i = 0; i < 10; i++) rtts.push(await roundTrip(s, Buffer.from(`ping ${i}`)));
      s.destroy();
      const m = median(rtts);
      // Lower bound is strict (the relay must never deliver early); the upper bound allows a loaded machine.
      assert.ok(m >= 2 * latencyMs - 1, `median RTT ${m.toFixed(1)} ms ≥ 2 × ${latencyMs} ms`);
      assert.ok(m <= 2 * latencyMs + 25, `median RTT ${m.toFixed(1)} ms ≤ 2 × ${latencyMs} + 25 ms`);
      assert.ok(Math.min(...rtts) >= 2 * latencyMs - 1, `no round trip faster than 2 × ${latencyMs} ms (min ${Math.min(...rtts).toFixed(1)})`);
    });
  }
});

test('latency relay: with jitter, 4 MB in many chunks come back intact and in order, each delayed within latency ± jitter', async () => {
  await withRelay({ latencyMs: 20, jitterMs: 15 }, async (port) => {
    const s = await open(port);
    const data = randomBytes(4 * 1024 * 1024);
    const back: Buffer[] = [];
    let got = 0;
    const done = new Promise<void>((r) =>
      s.on('data', (d: Buffer) => {
        back.push(d);
        got += d.length;
        if (got >= data.length) r();
      }),
    );
    for (let off = 0; off < data.length; off += 16 * 1024) {
      s.write(data.subarray(off, off + 16 * 1024));
      if (off % (256 * 1024) === 0) await new Promise((r) => setTimeout(r, 3));
    }
    await done;
    s.destroy();
    const out = Buffer.concat(back);
    assert.equal(out.length, data.length);
    assert.equal(createHash('sha256').update(out).digest('hex'), createHash('sha256').update(data).digest('hex'), 'bytes intact and in order');
    // Small messages: each round trip within 2 × (latency ± jitter), plus slack for a loaded machine.
    const s2 = await open(port);
    const rtts: number[] = [];
    for (let i = 0; i < 20; i++) rtts.push(await roundTrip(s2, Buffer.from([i])));
    s2.destroy();
    assert.ok(Math.min(...rtts) >= 2 * (20 - 15) - 1, `min RTT ${Math.min(...rtts).toFixed(1)} ms ≥ 2 × (latency − jitter)`);
    assert.ok(median(rtts) <= 2 * (20 + 15) + 25, `median RTT ${median(rtts).toFixed(1)} ms ≤ 2 × (latency + jitter) + 25`);
  });
});

test('latency relay: interleaved writes keep their order across jitter; FIN follows the delayed data', async () => {
  await withRelay({ latencyMs: 10, jitterMs: 10 }, async (port) => {
    const s = await open(port);
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    const ended = new Promise<void>((r) => s.once('end', () => r()));
    const parts = Array.from({ length: 200 }, (_, i) => `${i},`);
    for (const p of parts) {
      s.write(p);
      await new Promise((r) => setImmediate(r));
    }
    s.end();
    await ended;
    assert.equal(text, parts.join(''), 'every piece, in the order written, before the end');
    s.destroy();
  });
});

test('latency relay: latency changes at run time; dropAfterMs cuts connections', { timeout: 20_000 }, async () => {
  await withRelay({ latencyMs: 0 }, async (port, relay) => {
    const s = await open(port);
    const fast = await roundTrip(s, Buffer.from('a'));
    relay.set(30);
    const slow = await roundTrip(s, Buffer.from('b'));
    s.destroy();
    assert.ok(fast < 25, `0 ms: ${fast.toFixed(1)} ms`);
    assert.ok(slow >= 59, `after set(30): ${slow.toFixed(1)} ms ≥ 60 ms`);
    assert.throws(() => relay.set(-1), /≥ 0/);
  });
  await withRelay({ latencyMs: 0, dropAfterMs: 150 }, async (port, relay) => {
    const s = await open(port);
    const t0 = performance.now();
    // The relay cuts both sides: this end sees the FIN (or a reset).
    await new Promise<void>((r) => {
      s.once('end', () => r());
      s.once('close', () => r());
    });
    const lived = performance.now() - t0;
    s.destroy();
    assert.ok(lived >= 140 && lived < 2000, `cut after ${lived.toFixed(0)} ms`);
    assert.equal(relay.stats.dropped, 1);
    assert.equal(relay.stats.open, 0);
  });
  assert.throws(() => new LatencyRelay({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: 1 }, latencyMs: -5 }), /latencyMs must be ≥ 0/);
});
