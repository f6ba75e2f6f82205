/**
 * The root-event pool: root-chain events our watchers saw, mirrored as txs, waiting to be included.
 * An event is durable before `add` returns (the watcher then moves its cursor past it); the block
 * that applies it deletes it in its own batch, and the app forgets it once that batch is durable.
 * Each entry keeps its encoded bytes: a validator votes Yes on an included event exactly when they
 * equal what its own watcher saw.
 */
import { bytesToHex } from '../../util/bytes.ts';
import { eventKey, type ModuleRegistry } from '../modules/registry.ts';
import type { EventTxSpec } from '../modules/module.ts';
import type { DeliveryStore, PoolRef, ProcessedRef } from '../store/store.ts';
import { decodeTx, encodeTx } from './codec.ts';
import type { EventTx } from './types.ts';

export function poolRef(tx: EventTx): PoolRef {
  return { rootChainId: tx.ref.rootChainId, type: tx.type, sequence: tx.ref.sequence };
}

/** The event's replay marker, in its module's namespace. */
export function processedRef(tx: EventTx, spec: EventTxSpec<EventTx>): ProcessedRef {
  return { kind: spec.processedKind, rootChainId: tx.ref.rootChainId, sequence: tx.ref.sequence };
}

export function poolKeyOf(tx: EventTx): string {
  return eventKey(tx.ref.rootChainId, tx.type, tx.ref.sequence);
}

export class RootEventPool {
  private readonly entries = new Map<string, { tx: EventTx; bytes: string }>();
  private readonly store: DeliveryStore;
  private readonly registry: ModuleRegistry;

  constructor(deps: { store: DeliveryStore; registry: ModuleRegistry }) {
    this.store = deps.store;
    this.registry = deps.registry;
  }

  /** Reads back what the store holds (a restart). */
  async load(): Promise<void> {
    for (const raw of await this.store.loadPool()) {
      const r = this.registry.route(decodeTx(raw, this.registry.codecs));
      if (r.kind === 'event') this.entries.set(poolKeyOf(r.tx), { tx: r.tx, bytes: bytesToHex(encodeTx(r.tx, this.registry.codecs)) });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The encoded bytes of the pooled event under this key. */
  bytesOf(key: string): string | undefined {
    return this.entries.get(key)?.bytes;
  }

  /** Oldest first per root chain: by root chain id, then replay sequence. */
  candidates(): EventTx[] {
    return [...this.entries.values()].map((p) => p.tx).sort((a, b) => a.ref.rootChainId - b.ref.rootChainId || (a.ref.sequence < b.ref.sequence ? -1 : a.ref.sequence > b.ref.sequence ? 1 : 0));
  }

  /** Durable, then in memory. */
  async add(tx: EventTx): Promise<void> {
    const bytes = encodeTx(tx, this.registry.codecs);
    await this.store.putPoolTx(poolRef(tx), bytes);
    this.entries.set(poolKeyOf(tx), { tx, bytes: bytesToHex(bytes) });
  }

  /** From memory only (a committed block's batch deleted it on disk, or it is processed already). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** From memory and disk (found stale before any block applied it). */
  async drop(tx: EventTx): Promise<void> {
    this.entries.delete(poolKeyOf(tx));
    await this.store.deletePoolTx(poolRef(tx));
  }
}
