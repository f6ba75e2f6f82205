/**
 * One real consensus engine surrounded by scripted peers: the peers' proposals and votes are signed
 * here and injected directly, and everything the engine sends is captured. Unit tests use it to
 * drive single rules of the algorithm; the benchmark uses it to measure one node's own work (its
 * peers cost nothing but pre-signed bytes).
 */
import { signRsv, publicKeyCreate } from '../../../crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../../crypto/address.ts';
import { bytesToHex, equalBytes } from '../../../util/bytes.ts';
import { InlineVerifier } from '../../../pools/inline.ts';
import type { SignatureVerifier } from '../../../pools/interface.ts';
import type { Registry } from 'prom-client';
import { decodeMessages, encodeProposal, encodeVote, proposalDigest, valueIdOf, voteDigest } from '../codec.ts';
import type { ConsensusTimeouts, ConsensusTransport, ConsensusValidator, EvidenceStore, Wal } from '../interface.ts';
import { MemoryEvidenceStore } from '../evidence.ts';
import { ConsensusState } from '../state.ts';
import { MsgType, type ConsensusMessage, type VoteType } from '../types.ts';
import { MemoryWal } from '../wal.ts';
import { SimApp } from './app.ts';
import { SIM_TIMEOUTS, simKey } from './cluster.ts';
import { SimValidators } from './validators.ts';
import { VirtualClock } from './virtual-clock.ts';

export class CaptureTransport implements ConsensusTransport {
  readonly peerId: string;
  readonly sent: { to: string | null; data: Uint8Array }[] = [];
  private handler: ((from: string, data: Uint8Array) => void) | null = null;

  constructor(peerId: string) {
    this.peerId = peerId;
  }
  broadcast(data: Uint8Array): void {
    this.sent.push({ to: null, data });
  }
  sendTo(peerId: string, data: Uint8Array): void {
    this.sent.push({ to: peerId, data });
  }
  subscribe(handler: (from: string, data: Uint8Array) => void): () => void {
    this.handler = handler;
    return () => {
      this.handler = null;
    };
  }
  inject(from: string, data: Uint8Array): void {
    this.handler?.(from, data);
  }
  /** Every message sent so far, bundles flattened. */
  messages(): ConsensusMessage[] {
    return this.sent.flatMap((s) => decodeMessages(s.data));
  }
}

export interface HarnessOptions {
  validators: number;
  seed?: number;
  /** Which validator is the engine under test; default: one that does not propose height 1 round 0. */
  self?: number;
  chainId?: string;
  timeouts?: Partial<ConsensusTimeouts>;
  verifier?: SignatureVerifier;
  wal?: Wal;
  evidence?: EvidenceStore;
  metrics?: Registry | null;
  valueSize?: number;
  gossipIntervalMs?: number;
}

export class SingleNodeHarness {
  readonly clock = new VirtualClock();
  readonly keys: Uint8Array[];
  readonly vals: ConsensusValidator[];
  readonly validators: SimValidators;
  readonly self: number;
  readonly chainId: string;
  readonly transport: CaptureTransport;
  readonly app: SimApp;
  readonly wal: Wal;
  readonly evidence: EvidenceStore;
  private readonly valueSize: number | undefined;
  /** The engine under test; a test may swap in a restarted one. */
  state: ConsensusState;

  constructor(opts: HarnessOptions) {
    const seed = opts.seed ?? 1;
    this.chainId = opts.chainId ?? 'bttc-sim';
    this.keys = Array.from({ length: opts.validators }, (_, i) => simKey(seed, i));
    this.vals = this.keys.map((k) => {
      const publicKey = publicKeyCreate(k, false);
      return { address: addressFromPublicKey(publicKey), publicKey, votingPower: 1 };
    });
    this.validators = new SimValidators(this.vals);
    const p0 = this.validators.at(1).proposer(0).address;
    this.self = opts.self ?? this.vals.findIndex((v) => !equalBytes(v.address, p0));
    const me = this.vals[this.self]!;
    this.valueSize = opts.valueSize;
    this.transport = new CaptureTransport(bytesToHex(me.address));
    this.app = new SimApp({ address: me.address, valueSize: opts.valueSize }, { validators: this.validators });
    this.wal = opts.wal ?? new MemoryWal();
    this.evidence = opts.evidence ?? new MemoryEvidenceStore();
    this.state = new ConsensusState(
      { chainId: this.chainId, secretKey: this.keys[this.self]!, startHeight: 1, timeouts: { ...SIM_TIMEOUTS, ...opts.timeouts }, gossipIntervalMs: opts.gossipIntervalMs ?? 1_000_000 },
      { app: this.app, transport: this.transport, clock: this.clock, verifier: opts.verifier ?? new InlineVerifier(), wal: this.wal, evidence: this.evidence, metrics: opts.metrics ?? null },
    );
  }

  /** Index of the validator proposing (height, round). */
  proposerIndex(height: number, round: number): number {
    const a = this.validators.at(height).proposer(round).address;
    return this.vals.findIndex((v) => equalBytes(v.address, a));
  }

  /** Indices of validators other than the engine, in order. */
  peers(): number[] {
    return this.vals.map((_, i) => i).filter((i) => i !== this.self);
  }

  value(height: number, round: number, by: number): Uint8Array {
    return new SimApp({ address: this.vals[by]!.address, valueSize: this.valueSize }, { validators: this.validators }).proposeValue(height, round);
  }

  proposal(by: number, height: number, round: number, value: Uint8Array, validRound = -1): Uint8Array {
    const valueId = valueIdOf(value);
    const signature = signRsv(proposalDigest(this.chainId, { height, round, validRound, valueId }), this.keys[by]!);
    return encodeProposal({ height, round, validRound, proposer: this.vals[by]!.address, value, valueId, signature });
  }

  vote(by: number, type: VoteType, height: number, round: number, valueId: Uint8Array | null): Uint8Array {
    const extension = type === MsgType.Precommit && valueId ? this.app.extendVote(height) : new Uint8Array(0);
    const signature = signRsv(voteDigest(this.chainId, { type, height, round, valueId, extension }), this.keys[by]!);
    return encodeVote({ type, height, round, valueId, validator: this.vals[by]!.address, extension, signature });
  }

  inject(data: Uint8Array, from = 'peer'): void {
    this.transport.inject(from, data);
  }

  async settle(): Promise<void> {
    for (;;) {
      await this.state.whenIdle();
      await new Promise<void>((r) => setImmediate(r));
      if (this.state.isIdle()) return;
    }
  }

  /** Injects and waits for the engine to process. */
  async deliver(...data: Uint8Array[]): Promise<void> {
    for (const d of data) this.inject(d);
    await this.settle();
  }

  /** Advances virtual time by `ms`, firing timers on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await this.settle();
      if (!this.clock.advance(end)) break;
    }
    await this.settle();
  }

  /** Votes the engine has sent of one type at (height, round). */
  sentVotes(type: VoteType, height: number, round: number): { valueId: Uint8Array | null; extension: Uint8Array }[] {
    return this.transport
      .messages()
      .filter((m): m is Extract<ConsensusMessage, { kind: 'vote' }> => m.kind === 'vote' && m.vote.type === type && m.vote.height === height && m.vote.round === round)
      .map((m) => m.vote);
  }
}
