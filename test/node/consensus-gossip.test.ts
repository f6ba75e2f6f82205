/**
 * The consensus transport checks every gossiped message before it is relayed or reaches the engine:
 * each junk kind gets its verdict (reject: invalid whoever sends it; ignore: out of our reach, maybe
 * our own lag), valid messages reach the engine byte for byte, and the resend epoch gives a re-send
 * in a later epoch a new message id while a repeat within an epoch keeps the same one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { GossipConsensusTransport, RESEND_EPOCH_MS } from '../../src/node/consensus-transport.ts';
import { encodeBundle, encodeCatchUpRequest, encodeProposal, encodeVote, proposalDigest, valueIdOf, voteDigest } from '../../src/delivery/consensus/codec.ts';
import { MsgType, type Vote } from '../../src/delivery/consensus/types.ts';
import type { ConsensusValidator, ValidatorSetView } from '../../src/delivery/consensus/interface.ts';
import { publicKeyCreate, signRsv } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import type { GossipHandler, GossipKind, GossipMessage, ValidationResult } from '../../src/p2p/interface.ts';
import { messageId, idToHex } from '../../src/p2p/msgId.ts';
import { metricValue } from '../p2p/helpers.ts';

const CHAIN = 'delivery-test-1';
const COMMITTED = 100;
const WINDOW = 64;

function key(i: number): Uint8Array {
  const k = new Uint8Array(32);
  k[31] = i;
  k[0] = 0x42;
  return k;
}

interface Signer {
  sk: Uint8Array;
  v: ConsensusValidator;
}

function signer(i: number): Signer {
  const sk = key(i);
  const publicKey = publicKeyCreate(sk);
  return { sk, v: { address: addressFromPublicKey(publicKey), publicKey, votingPower: 10 } };
}

const members = [signer(1), signer(2), signer(3)];
const outsider = signer(9);

function view(vals: Signer[]): ValidatorSetView {
  const validators = vals.map((s) => s.v);
  return {
    validators,
    totalVotingPower: validators.reduce((n, v) => n + v.votingPower, 0),
    getByAddress: (hex) => validators.find((v) => bytesToHex(v.address) === hex.toLowerCase()),
    proposer: (round) => validators[round % validators.length]!,
  };
}

const app = {
  height: COMMITTED,
  validatorSet(h: number): ValidatorSetView {
    if (h !== COMMITTED && h !== COMMITTED + 1) throw new Error(`no set for ${h}`);
    return view(members);
  },
};

function vote(s: Signer, height: number, opts: { round?: number; type?: Vote['type']; corrupt?: boolean } = {}): Uint8Array {
  const v = { type: opts.type ?? MsgType.Prevote, height, round: opts.round ?? 0, valueId: valueIdOf(new Uint8Array([height & 0xff])), validator: s.v.address, extension: new Uint8Array(0) };
  const signature = signRsv(voteDigest(CHAIN, v), s.sk);
  if (opts.corrupt) signature[10]! ^= 0xff;
  return encodeVote({ ...v, signature });
}

function proposal(s: Signer, height: number, round = 0): Uint8Array {
  const value = new TextEncoder().encode(`value-${height}-${round}`);
  const p = { height, round, validRound: -1, proposer: s.v.address, value, valueId: valueIdOf(value) };
  return encodeProposal({ ...p, signature: signRsv(proposalDigest(CHAIN, p), s.sk) });
}

/** A Network stand-in: the transport's handlers, what it published, and a settable peer id. */
class FakeNetwork extends EventEmitter {
  peerId = 'me';
  readonly handlers = new Map<GossipKind, GossipHandler>();
  readonly published: { kind: GossipKind; data: Uint8Array }[] = [];
  subscribe(kind: GossipKind, h: GossipHandler): void {
    this.handlers.set(kind, h);
  }
  async publish(kind: GossipKind, data: Uint8Array) {
    this.published.push({ kind, data: data.slice() });
    return { recipients: 1 };
  }
}

function setup(now = () => 1_700_000_000_000) {
  const net = new FakeNetwork();
  const metrics = new Registry();
  const t = new GossipConsensusTransport(net as never, null, { app, verifier: new InlineVerifier(), chainId: CHAIN, catchUpHeights: WINDOW, metrics, clock: { now } });
  const engine: Uint8Array[] = [];
  t.subscribe((_from, data) => engine.push(data));
  const epoch = BigInt(Math.floor(now() / RESEND_EPOCH_MS));
  const frame = (body: Uint8Array, o: { mode?: number; epoch?: bigint; target?: string } = {}) => {
    const tgt = o.target === undefined ? null : new TextEncoder().encode(o.target);
    const out = new Uint8Array(9 + (tgt ? 1 + tgt.length : 0) + body.length);
    out[0] = o.mode ?? (tgt ? 1 : 0);
    new DataView(out.buffer).setBigUint64(1, o.epoch ?? epoch);
    let off = 9;
    if (tgt) {
      out[9] = tgt.length;
      out.set(tgt, 10);
      off = 10 + tgt.length;
    }
    out.set(body, off);
    return out;
  };
  const deliver = async (data: Uint8Array, kind?: GossipKind): Promise<ValidationResult> => {
    const b = data[0] === 1 && data.length > 10 ? data[10 + data[9]!] : data[9];
    const k = kind ?? (b === 0x01 || b === 0x04 ? 'delivery-proposal' : 'delivery-vote');
    const msg: GossipMessage = { kind: k, from: 'peer-x', msgId: '00', data };
    return net.handlers.get(k)!(msg);
  };
  return { net, t, engine, frame, deliver, metrics, epoch };
}

test('valid messages are accepted and reach the engine byte for byte', async () => {
  const { engine, frame, deliver } = setup();
  const v = vote(members[0]!, COMMITTED + 1);
  assert.equal(await deliver(frame(v)), 'accept');
  assert.deepEqual(engine.at(-1), v);
  const p = proposal(members[0]!, COMMITTED + 1, 0); // round 0's proposer is members[0]
  assert.equal(await deliver(frame(p)), 'accept');
  assert.deepEqual(engine.at(-1), p);
  const precommit = vote(members[1]!, COMMITTED, { type: MsgType.Precommit });
  assert.equal(await deliver(frame(precommit)), 'accept', 'a late precommit of the height just decided');
  const bundle = encodeBundle([proposal(members[1]!, COMMITTED + 1, 1), vote(members[1]!, COMMITTED + 1, { round: 1 }), vote(members[2]!, COMMITTED + 1, { round: 1 })]);
  assert.equal(await deliver(frame(bundle)), 'accept');
  assert.deepEqual(engine.at(-1), bundle);
  assert.equal(engine.length, 4);
});

test('each junk kind: rejected (invalid whoever sends it) and never handed to the engine', async () => {
  const { engine, frame, deliver, metrics } = setup();
  const good = vote(members[0]!, COMMITTED + 1);
  const cases: [string, Uint8Array, GossipKind?][] = [
    ['too short for a frame', new Uint8Array([0, 1, 2])],
    ['unknown mode byte', frame(good, { mode: 7 })],
    [
      'direct frame with an empty target',
      (() => {
        const f = frame(good, { target: 'x' });
        f[9] = 0;
        return f;
      })(),
    ],
    ['garbage body', frame(new Uint8Array([0x02, 0xff, 0xff, 0x00]))],
    ['unknown message kind', frame(new Uint8Array([0x09, 1, 2, 3, 4, 5]))],
    ['bad signature from a member', frame(vote(members[1]!, COMMITTED + 1, { corrupt: true }))],
    ['valid-looking vote from a non-member', frame(vote(outsider, COMMITTED + 1))],
    ['non-member at the height just decided', frame(vote(outsider, COMMITTED))],
    ['proposal from a member whose turn it is not', frame(proposal(members[2]!, COMMITTED + 1, 0))],
    ['…at the height just decided too', frame(proposal(members[1]!, COMMITTED, 0))],
    ['far-future height with a forged signature', frame(vote(members[0]!, COMMITTED + 1_000_000, { corrupt: true }))],
    [
      'v byte above 1',
      frame(
        (() => {
          const b = vote(members[0]!, COMMITTED + 1);
          b[b.length - 1] = 27;
          return b;
        })(),
      ),
    ],
    ['a bundle with one forged vote', frame(encodeBundle([vote(members[0]!, COMMITTED + 1), vote(members[1]!, COMMITTED + 1, { corrupt: true })]))],
    ['an empty bundle', frame(encodeBundle([]))],
    ['a catch-up request broadcast', frame(encodeCatchUpRequest(COMMITTED))],
    ['a vote on the proposal topic', frame(good), 'delivery-proposal'],
    ['junk addressed to another peer', frame(vote(outsider, COMMITTED + 1), { target: 'someone-else' })],
  ];
  for (const [what, data, kind] of cases) assert.equal(await deliver(data, kind), 'reject', what);
  assert.equal(engine.length, 0, 'the engine saw none of it');
  assert.equal(await metricValue(metrics, 'bttc_consensus_gossip_checked_total', { verdict: 'reject' }), cases.length);
  assert.equal(await metricValue(metrics, 'bttc_consensus_gossip_checked_total', { verdict: 'reject', reason: 'non-member' }), 3);
});

test('out of our reach is ignored, not punished; what the engine can use still reaches it', async () => {
  const { engine, frame, deliver, epoch } = setup();
  const far = vote(outsider, COMMITTED + 1_000_000);
  assert.equal(await deliver(frame(far)), 'ignore', 'far future, self-consistent signature');
  assert.equal(engine.length, 0);
  assert.equal(await deliver(frame(vote(members[0]!, COMMITTED - WINDOW - 5))), 'ignore', 'older than the catch-up window');
  assert.equal(engine.length, 0);
  const old = vote(members[0]!, COMMITTED - 3);
  assert.equal(await deliver(frame(old)), 'ignore', 'a few heights old: not relayed');
  assert.deepEqual(engine.at(-1), old, '…but the engine sees it (it serves the sender the commit)');
  const ahead = vote(members[1]!, COMMITTED + 2);
  assert.equal(await deliver(frame(ahead)), 'ignore', 'a height whose set we do not hold: not relayed…');
  assert.deepEqual(engine.at(-1), ahead, '…but the engine sees it (it asks the sender for what it missed)');
  const newcomer = vote(outsider, COMMITTED + 2);
  assert.equal(await deliver(frame(newcomer)), 'ignore', 'nor rejected when we cannot place its signer');
  assert.deepEqual(engine.at(-1), newcomer);
  assert.equal(await deliver(frame(vote(outsider, COMMITTED + 3, { corrupt: true }))), 'reject', 'a forged signature is junk at any height');
  const n = engine.length;
  assert.equal(await deliver(frame(vote(members[0]!, COMMITTED + 1), { epoch: epoch - 5n })), 'ignore', 'stale epoch');
  assert.equal(await deliver(frame(vote(members[0]!, COMMITTED + 1), { epoch: epoch + 3n })), 'ignore', 'epoch too far ahead');
  assert.equal(engine.length, n);
  assert.equal(await deliver(frame(vote(members[0]!, COMMITTED + 1), { epoch: epoch - 2n })), 'accept', 'two epochs of slack');
});

test('direct messages: consumed by their target only, never relayed', async () => {
  const { engine, frame, deliver } = setup();
  const v = vote(members[0]!, COMMITTED + 1);
  assert.equal(await deliver(frame(v, { target: 'someone-else' })), 'ignore');
  assert.equal(engine.length, 0);
  assert.equal(await deliver(frame(v, { target: 'me' })), 'ignore');
  assert.deepEqual(engine.at(-1), v);
  const req = encodeCatchUpRequest(COMMITTED);
  assert.equal(await deliver(frame(req, { target: 'me' })), 'ignore');
  assert.deepEqual(engine.at(-1), req);
});

test('resend epoch: a repeat within an epoch is the same message, a re-send in the next epoch a new one', async () => {
  let now = 1_700_000_000_000;
  const { net, t } = setup(() => now);
  const v = vote(members[0]!, COMMITTED + 1);
  t.broadcast(v);
  t.broadcast(v);
  now += RESEND_EPOCH_MS;
  t.broadcast(v);
  t.sendTo('peer-y', encodeCatchUpRequest(COMMITTED));
  await new Promise((r) => setImmediate(r));
  const ids = net.published.map((p) => idToHex(messageId(p.kind, p.data)));
  assert.equal(ids[0], ids[1], 'same epoch, same id: the seen cache keeps it to one relay');
  assert.notEqual(ids[1], ids[2], 'the periodic re-send gets through');
  assert.equal(net.published[3]!.kind, 'delivery-vote');
  // What we send validates as accept on a peer with the same clock (the frames round-trip).
  const peer = setup(() => now);
  assert.equal(await peer.deliver(net.published[2]!.data), 'accept');
  peer.net.peerId = 'peer-y';
  assert.equal(await peer.deliver(net.published[3]!.data), 'ignore');
  assert.equal(peer.engine.length, 2, 'the catch-up request reached its target');
});
