import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_HEADER_BYTES } from '../../src/p2p/codec/envelope.ts';
import { encodeFrame, FrameReader } from '../../src/p2p/codec/frames.ts';
import { decodeRangeRequest, decodeResponseFrame, decodeStatus, encodeErrorFrameBody, encodeItemFrameBody, encodeRangeRequest, encodeStatus } from '../../src/p2p/codec/sync.ts';
import { GossipBatchWriter, packList, packPublished, packPublishes, packResults, readGossipBatch, readPublished, readPublishes, readResults, unpackList } from '../../src/p2p/codec/wire.ts';
import { idToHex, messageId } from '../../src/p2p/msgId.ts';
import { GOSSIP_KINDS, KIND_CODE, topicName } from '../../src/p2p/topics.ts';

test('envelope: round trip for every kind, kind bound to its topic', () => {
  for (const kind of GOSSIP_KINDS) {
    const payload = Uint8Array.from({ length: 37 }, (_, i) => i * 7);
    const env = encodeEnvelope(kind, payload);
    assert.equal(env.length, ENVELOPE_HEADER_BYTES + payload.length);
    const d = decodeEnvelope(env, kind);
    assert.ok(d.ok);
    assert.deepEqual(d.value.payload, payload);
    for (const other of GOSSIP_KINDS.filter((k) => k !== kind)) {
      const wrong = decodeEnvelope(env, other);
      assert.ok(!wrong.ok && wrong.error.code === 'bad-kind', `${kind} envelope must not decode on the ${other} topic`);
    }
  }
});

test('envelope: each corruption gives its own typed error', () => {
  const env = encodeEnvelope('bttc-tx', new Uint8Array([1, 2, 3, 4]));
  const cases: [Uint8Array, string][] = [
    [env.subarray(0, 2), 'truncated'],
    [env.subarray(0, env.length - 1), 'truncated'],
    [Uint8Array.from([...env, 0]), 'trailing-bytes'],
    [Uint8Array.from(env, (b, i) => (i === 0 ? 9 : b)), 'bad-version'],
    [Uint8Array.from(env, (b, i) => (i === 1 ? 200 : b)), 'bad-kind'],
    [Uint8Array.from(env, (b, i) => (i === 2 ? 1 : b)), 'bad-value'],
  ];
  for (const [bytes, code] of cases) {
    const d = decodeEnvelope(bytes, 'bttc-tx');
    assert.ok(!d.ok, `expected ${code}`);
    assert.equal(d.error.code, code, d.error.message);
    assert.match(d.error.message, /envelope\(bttc-tx\)/);
  }
  const big = encodeEnvelope('delivery-vote', new Uint8Array(5000));
  const d = decodeEnvelope(big, 'delivery-vote');
  assert.ok(!d.ok && d.error.code === 'too-large');
});

test('decoders never throw on arbitrary bytes (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...GOSSIP_KINDS), (bytes, kind) => {
      const results = [decodeEnvelope(bytes, kind), decodeRangeRequest(bytes), decodeStatus(bytes), decodeResponseFrame(bytes)];
      for (const r of results) assert.ok(r.ok === true || (typeof r.error.code === 'string' && r.error.message.length > 0));
    }),
    { numRuns: 3000 },
  );
});

test('envelope round trip (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom(...GOSSIP_KINDS), (payload, kind) => {
      const d = decodeEnvelope(encodeEnvelope(kind, payload), kind);
      assert.ok(d.ok);
      assert.deepEqual(d.value.payload, payload);
    }),
  );
});

test('frames: reassembled from any split, oversize declared length fails before buffering', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 8 }), fc.array(fc.nat(50), { maxLength: 20 }), (bodies, cuts) => {
      const stream = Uint8Array.from(bodies.flatMap((b) => [...encodeFrame(b)]));
      const r = new FrameReader(1000);
      const out: Uint8Array[] = [];
      let pos = 0;
      for (const c of cuts) {
        out.push(...r.push(stream.subarray(pos, Math.min(stream.length, pos + c))));
        pos = Math.min(stream.length, pos + c);
      }
      out.push(...r.push(stream.subarray(pos)));
      assert.deepEqual(out, bodies);
      assert.equal(r.buffered, 0);
    }),
  );
  const r = new FrameReader(10);
  assert.deepEqual(r.push(new Uint8Array([0, 0, 0, 11])), []);
  assert.equal(r.failed?.code, 'too-large');
});

test('sync codecs: range request, status, response frames', () => {
  const req = decodeRangeRequest(encodeRangeRequest({ start: 2n ** 40n + 5n, count: 128 }));
  assert.ok(req.ok);
  assert.deepEqual(req.value, { start: 2n ** 40n + 5n, count: 128 });
  const zero = decodeRangeRequest(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]));
  assert.ok(!zero.ok && zero.error.code === 'bad-value');
  assert.throws(() => encodeRangeRequest({ start: -1n, count: 1 }), /out of u64 range/);
  const status = { genesisHash: new Uint8Array(32).fill(1), bttcHead: 999n, bttcHeadHash: new Uint8Array(32).fill(2), deliveryHeight: 77n };
  const st = decodeStatus(encodeStatus(status));
  assert.ok(st.ok);
  assert.deepEqual(st.value, status);
  const item = decodeResponseFrame(encodeItemFrameBody(new Uint8Array([9, 8])));
  assert.ok(item.ok && item.value.code === 'item');
  assert.deepEqual(item.value.item, new Uint8Array([9, 8]));
  const err = decodeResponseFrame(encodeErrorFrameBody('busy'));
  assert.ok(err.ok && err.value.code === 'error' && err.value.message === 'busy');
});

test('wire: packed lists, gossip batches and results survive the boundary', () => {
  const items = [new Uint8Array(0), new Uint8Array([1]), new Uint8Array(300).fill(5)];
  assert.deepEqual(unpackList(packList(items)), items);
  const w = new GossipBatchWriter();
  const ids = [messageId('t', new Uint8Array([1])), messageId('t', new Uint8Array([2]))];
  w.add(7, KIND_CODE['bttc-tx'], 'peerA', ids[0]!, new Uint8Array([1, 2, 3]));
  w.add(8, KIND_CODE['bttc-block'], 'peerB', ids[1]!, new Uint8Array(0));
  w.add(9, KIND_CODE['bttc-tx'], 'peerA', ids[0]!, new Uint8Array([4]));
  const { buf, peers } = w.flush();
  assert.deepEqual(peers, ['peerA', 'peerB']);
  const recs = [...readGossipBatch(buf)];
  assert.deepEqual(
    recs.map((r) => [r.token, r.kindCode, peers[r.peerIndex], idToHex(r.msgId), [...r.data]]),
    [
      [7, 2, 'peerA', idToHex(ids[0]!), [1, 2, 3]],
      [8, 1, 'peerB', idToHex(ids[1]!), []],
      [9, 2, 'peerA', idToHex(ids[0]!), [4]],
    ],
  );
  assert.equal(w.size, 0);
  assert.deepEqual(
    [...readResults(packResults([1, 2 ** 32 - 1], [0, 2]))],
    [
      [1, 0],
      [2 ** 32 - 1, 2],
    ],
  );
  const pubs = [
    { id: 1, kindCode: 2, raw: false, data: new Uint8Array([1, 2]) },
    { id: 70000, kindCode: 5, raw: true, data: new Uint8Array(0) },
  ];
  assert.deepEqual([...readPublishes(packPublishes(pubs))], pubs);
  assert.deepEqual(
    [...readPublished(packPublished([3, 4], [0, 12]))],
    [
      [3, 0],
      [4, 12],
    ],
  );
});

test('message id: depends on topic and every byte, stable, 8 bytes', () => {
  const data = Uint8Array.from({ length: 203 }, (_, i) => (i * 31) & 0xff);
  const t = topicName(1337199, 'bttc-tx');
  const id = messageId(t, data);
  assert.equal(id.length, 8);
  assert.deepEqual(messageId(t, data.slice()), id);
  assert.notDeepEqual(messageId(topicName(1337199, 'bttc-block'), data), id);
  assert.notDeepEqual(messageId(topicName(199, 'bttc-tx'), data), id);
  const seen = new Set<string>([idToHex(id)]);
  for (let i = 0; i < data.length; i++) {
    const d = data.slice();
    d[i]! ^= 1;
    seen.add(idToHex(messageId(t, d)));
  }
  seen.add(idToHex(messageId(t, data.subarray(0, 202))));
  assert.equal(seen.size, data.length + 2, 'every single-bit flip and the truncation give a new id');
  // No collisions over many small distinct messages (64-bit ids: any collision here is a bug).
  const ids = new Set<string>();
  for (let i = 0; i < 50_000; i++) ids.add(idToHex(messageId(t, new Uint8Array(new Uint32Array([i, i >>> 3]).buffer))));
  assert.equal(ids.size, 50_000);
});

test('tx batch payload: round trip, limits, typed errors', async () => {
  const { encodeTxBatch, decodeTxBatch, MAX_TXS_PER_BATCH } = await import('../../src/p2p/codec/txBatch.ts');
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 40 }), (txs) => {
      const d = decodeTxBatch(encodeTxBatch(txs));
      assert.ok(d.ok);
      assert.deepEqual(d.value, txs);
    }),
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void decodeTxBatch(b)));
  assert.throws(() => encodeTxBatch([]), /expected 1\.\.1024/);
  assert.throws(() => encodeTxBatch(new Array(MAX_TXS_PER_BATCH + 1).fill(new Uint8Array(1))), /1025 transactions/);
  const enc = encodeTxBatch([new Uint8Array([1, 2]), new Uint8Array([3])]);
  const lying = enc.slice();
  lying[2] = 3; // claims 3 transactions
  const e = decodeTxBatch(lying);
  assert.ok(!e.ok && e.error.code === 'truncated', e.ok ? '' : e.error.message);
});
