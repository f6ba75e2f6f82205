/**
 * A whole validator network in one process on a virtual clock: N consensus engines over the
 * in-memory network, each with its own in-memory WAL "disk" (kept across crashes), application and
 * evidence store. Everything random comes from one seed, so a failing run replays exactly.
 */
import { keccak256 } from '../../../crypto/keccak.ts';
import { isValidSecretKey, publicKeyCreate } from '../../../crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../../crypto/address.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import { InlineVerifier } from '../../../pools/inline.ts';
import type { SignatureVerifier } from '../../../pools/interface.ts';
import type { ConsensusTimeouts, ConsensusTransport } from '../interface.ts';
import { MemoryEvidenceStore } from '../evidence.ts';
import { ConsensusState, type CommitEvent } from '../state.ts';
import { MemoryWal, MemoryWalDisk } from '../wal.ts';
import { SimApp } from './app.ts';
import { EquivocatingTransport } from './byzantine.ts';
import { MemoryNetwork, type NetworkConditions } from './memory-transport.ts';
import { Prng } from './prng.ts';
import { SimValidators } from './validators.ts';
import { VirtualClock } from './virtual-clock.ts';

export type Behavior = 'honest' | 'silent' | 'double-vote';

export interface ClusterOptions {
  validators: number;
  seed: number;
  chainId?: string;
  powers?: number[];
  network?: Partial<NetworkConditions>;
  timeouts?: Partial<ConsensusTimeouts>;
  gossipIntervalMs?: number;
  /** Node index → behaviour (default honest). */
  byzantine?: Record<number, Behavior>;
  verifier?: SignatureVerifier;
  valueSize?: number;
  /** The engines' empty-block interval (ConsensusOptions.emptyBlockIntervalMs); apps have work only when told (SimApp.pendingTxs). */
  emptyBlockIntervalMs?: number;
}

export interface SimNode {
  index: number;
  secretKey: Uint8Array;
  address: Uint8Array;
  peerId: string;
  behavior: Behavior;
  disk: MemoryWalDisk;
  app: SimApp;
  evidence: MemoryEvidenceStore;
  state: ConsensusState | null;
  transport: ConsensusTransport | null;
  restarts: number;
}

export const SIM_TIMEOUTS: ConsensusTimeouts = { propose: 1000, proposeDelta: 250, prevote: 500, prevoteDelta: 250, precommit: 500, precommitDelta: 250, commit: 0 };

/** Deterministic validator keys for simulations and benches. */
export function simKey(seed: number, i: number): Uint8Array {
  for (let salt = 0; ; salt++) {
    const k = keccak256(new TextEncoder().encode(`bttc-sim-key/${seed}/${i}/${salt}`));
    if (isValidSecretKey(k)) return k;
  }
}

export class SimCluster {
  readonly clock = new VirtualClock();
  readonly prng: Prng;
  readonly network: MemoryNetwork;
  readonly validators: SimValidators;
  readonly nodes: SimNode[];
  readonly chainId: string;
  /** Height → first committed value (hex) seen anywhere, and any disagreement. */
  readonly decided = new Map<number, string>();
  readonly violations: string[] = [];
  /** Every decision, with the node and the virtual time it happened at. */
  readonly commitEvents: (CommitEvent & { node: number; at: number })[] = [];
  private readonly verifier: SignatureVerifier;
  private readonly opts: ClusterOptions;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.chainId = opts.chainId ?? 'bttc-sim';
    this.prng = new Prng(opts.seed);
    this.network = new MemoryNetwork({ minDelayMs: 5, maxDelayMs: 50, dropRate: 0, ...opts.network }, { clock: this.clock, prng: this.prng.fork() });
    this.verifier = opts.verifier ?? new InlineVerifier();
    const keys = Array.from({ length: opts.validators }, (_, i) => simKey(opts.seed, i));
    const vals = keys.map((k, i) => {
      const publicKey = publicKeyCreate(k, false);
      return { address: addressFromPublicKey(publicKey), publicKey, votingPower: opts.powers?.[i] ?? 1 };
    });
    this.validators = new SimValidators(vals);
    this.nodes = keys.map((secretKey, index) => {
      const address = vals[index]!.address;
      return {
        index,
        secretKey,
        address,
        peerId: bytesToHex(address),
        behavior: opts.byzantine?.[index] ?? 'honest',
        disk: new MemoryWalDisk(),
        app: new SimApp({ address, valueSize: opts.valueSize }, { validators: this.validators }),
        evidence: new MemoryEvidenceStore(),
        state: null,
        transport: null,
        restarts: 0,
      };
    });
  }

  get honest(): SimNode[] {
    return this.nodes.filter((n) => n.behavior === 'honest');
  }

  async start(): Promise<void> {
    for (const n of this.nodes) if (n.behavior !== 'silent') await this.boot(n);
  }

  private async boot(n: SimNode): Promise<void> {
    const endpoint = this.network.endpoint(n.peerId);
    const transport: ConsensusTransport =
      n.behavior === 'double-vote'
        ? new EquivocatingTransport({ chainId: this.chainId, secretKey: n.secretKey }, { inner: endpoint, peers: () => this.network.peerIds(), prng: this.prng.fork() })
        : endpoint;
    const state = new ConsensusState(
      {
        chainId: this.chainId,
        secretKey: n.secretKey,
        startHeight: n.app.lastHeight + 1,
        timeouts: { ...SIM_TIMEOUTS, ...this.opts.timeouts },
        gossipIntervalMs: this.opts.gossipIntervalMs ?? 500,
        emptyBlockIntervalMs: this.opts.emptyBlockIntervalMs ?? 0,
      },
      { app: n.app, transport, clock: this.clock, verifier: this.verifier, wal: new MemoryWal(n.disk), evidence: n.evidence },
    );
    state.onCommit((e) => this.onCommit(n, e));
    n.state = state;
    n.transport = transport;
    await state.start();
  }

  private onCommit(n: SimNode, e: CommitEvent): void {
    const hex = bytesToHex(e.value);
    this.commitEvents.push({ ...e, node: n.index, at: this.clock.now() });
    const prior = this.decided.get(e.height);
    if (prior === undefined) this.decided.set(e.height, hex);
    else if (prior !== hex && n.behavior === 'honest') this.violations.push(`height ${e.height}: node ${n.index} committed ${hex.slice(0, 18)}… but ${prior.slice(0, 18)}… was committed elsewhere`);
  }

  /** Kills a node on the spot (no clean shutdown); its WAL disk and application state survive. */
  crash(i: number): void {
    const n = this.nodes[i]!;
    this.network.setDown(n.peerId, true);
    n.state?.abandon();
    n.state = null;
    n.transport = null;
  }

  /** Boots a crashed node again from its WAL and its application's last height. */
  async restart(i: number): Promise<void> {
    const n = this.nodes[i]!;
    if (n.state) throw new Error(`node ${i} is running`);
    n.restarts++;
    await this.boot(n);
  }

  running(): SimNode[] {
    return this.nodes.filter((n) => n.state !== null);
  }

  /** Lowest committed height among honest running nodes. */
  minHeight(nodes: SimNode[] = this.honest.filter((n) => n.state)): number {
    return Math.min(...nodes.map((n) => n.app.lastHeight));
  }

  /** Waits until every running node's loop has nothing left to do at the current virtual time. */
  async settle(): Promise<void> {
    for (;;) {
      const busy = this.nodes.filter((n) => n.state && !n.state.isIdle());
      if (busy.length > 0) {
        await Promise.all(busy.map((n) => n.state!.whenIdle()));
        continue;
      }
      await new Promise<void>((r) => setImmediate(r));
      if (this.nodes.every((n) => !n.state || n.state.isIdle())) return;
    }
  }

  /** Runs virtual time until `pred` holds or `forMs` more virtual ms have passed. */
  async runUntil(pred: () => boolean, forMs: number): Promise<boolean> {
    const deadline = this.clock.now() + forMs;
    for (;;) {
      await this.settle();
      for (const n of this.nodes) if (n.state?.halted) throw new Error(`node ${n.index} halted: ${n.state.halted.message}`);
      if (pred()) return true;
      if (!this.clock.advance(deadline)) return pred();
    }
  }

  runFor(ms: number): Promise<boolean> {
    return this.runUntil(() => false, ms);
  }

  /** Runs until every honest running node has committed `height`. */
  runUntilHeight(height: number, forMs: number): Promise<boolean> {
    return this.runUntil(() => this.minHeight() >= height, forMs);
  }

  /** Safety across every node that ever committed: one value per height. Also checks each app's own history. */
  assertSafety(): void {
    if (this.violations.length > 0) throw new Error(`safety violated:\n${this.violations.join('\n')}`);
    for (const n of this.nodes) {
      if (n.behavior !== 'honest') continue;
      for (const [h, v] of n.app.committed) {
        const d = this.decided.get(h);
        if (d !== bytesToHex(v)) throw new Error(`safety violated: node ${n.index} has ${bytesToHex(v).slice(0, 18)}… at height ${h}, decided ${d?.slice(0, 18)}…`);
      }
    }
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.state?.abandon();
  }
}
