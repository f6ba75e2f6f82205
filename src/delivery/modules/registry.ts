/**
 * The registered Delivery modules and the routing of a transaction to the one that owns its type
 * byte. Registration refuses, naming both parties, anything two modules would share: a name, a tx
 * type byte, a replay namespace, a state snapshot key, a bucket, a REST route; and it requires
 * exactly one module to provide the consensus validator sets.
 */
import type { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import type { RootEvent } from '../../root/abi.ts';
import { TxCodecs } from '../app/codec.ts';
import { STATE_HEAD_KEYS, type DeliveryState } from '../app/state.ts';
import type { DeliveryTx, EventTx } from '../app/types.ts';
import type { RestRoute } from '../rest/interface.ts';
import { routeShape } from '../rest/router.ts';
import type { BlockContext, DeliveryModule, EventTxSpec, PlainTxSpec, SideTxSpec, StateSlot, TxSpec } from './module.ts';

/** A transaction with the spec that owns it, by kind (so each kind's handlers take the right tx type). */
export type RoutedTx =
  | { kind: 'plain'; module: string; tx: DeliveryTx; spec: PlainTxSpec<DeliveryTx> }
  | { kind: 'side'; module: string; tx: DeliveryTx; spec: SideTxSpec<DeliveryTx> }
  | { kind: 'event'; module: string; tx: EventTx; spec: EventTxSpec<EventTx> };

/** The pool and uniqueness key of a mirrored root event: one per root chain, tx type and replay sequence. */
export function eventKey(rootChainId: number, type: number, sequence: bigint): string {
  return `${rootChainId}/${type}/${sequence}`;
}

export class ModuleRegistry {
  readonly modules: readonly DeliveryModule[];
  /** The modules' state slices, in module order (the snapshot's order). */
  readonly slots: readonly StateSlot<unknown>[];
  readonly codecs: TxCodecs;
  private readonly specs = new Map<number, { module: string; spec: TxSpec }>();
  private readonly restRoutes: RestRoute[] = [];
  private readonly consensus: DeliveryModule;

  constructor(modules: readonly DeliveryModule[]) {
    const names = new Set<string>();
    const kinds = new Map<number, string>();
    const stateKeys = new Map<string, string>(STATE_HEAD_KEYS.map((k) => [k, 'the app']));
    const buckets = new Map<number, string>();
    const shapes = new Map<string, string>();
    const slots: StateSlot<unknown>[] = [];
    const providers: DeliveryModule[] = [];
    for (const m of modules) {
      if (names.has(m.name)) throw new Error(`delivery modules: two modules are named "${m.name}"`);
      names.add(m.name);
      for (const spec of m.txs) {
        const { type, name } = spec.codec;
        const other = this.specs.get(type);
        if (other) throw new Error(`delivery modules: tx type ${type} (${name}) of module "${m.name}" is already registered by module "${other.module}" (${other.spec.codec.name})`);
        this.specs.set(type, { module: m.name, spec });
        if (spec.kind === 'event') {
          const owner = kinds.get(spec.processedKind);
          if (owner !== undefined) throw new Error(`delivery modules: replay namespace ${spec.processedKind} of ${name} (module "${m.name}") is already used by ${owner}`);
          kinds.set(spec.processedKind, `${name} (module "${m.name}")`);
        }
      }
      if (m.state) {
        for (const k of m.state.keys) {
          const owner = stateKeys.get(k);
          if (owner !== undefined) throw new Error(`delivery modules: state key "${k}" of module "${m.name}" is already used by ${owner}`);
          stateKeys.set(k, `module "${m.name}"`);
        }
        slots.push(m.state);
      }
      for (const b of m.buckets ?? []) {
        if (b.owner !== `delivery/modules/${m.name}`) throw new Error(`delivery modules: module "${m.name}" claims bucket 0x${b.id.toString(16)}, which src/db/buckets.ts gives to ${b.owner}`);
        const owner = buckets.get(b.id);
        if (owner !== undefined) throw new Error(`delivery modules: bucket 0x${b.id.toString(16)} is claimed by modules "${owner}" and "${m.name}"`);
        buckets.set(b.id, m.name);
      }
      for (const r of m.routes?.() ?? []) {
        // One route per method and path shape: a GET and a POST may share a path.
        const method = r.method ?? 'GET';
        const shape = `${method} ${routeShape(r.path)}`;
        const owner = shapes.get(shape);
        if (owner !== undefined) throw new Error(`delivery modules: REST route ${method} ${r.path} of module "${m.name}" is already served by module "${owner}"`);
        shapes.set(shape, m.name);
        this.restRoutes.push(r);
      }
      if (m.consensusSets) providers.push(m);
    }
    const [consensus, ...extra] = providers;
    if (!consensus || extra.length > 0)
      throw new Error(`delivery modules: exactly one module must provide the consensus validator sets, found ${providers.length ? providers.map((m) => `"${m.name}"`).join(', ') : 'none'}`);
    this.consensus = consensus;
    this.modules = [...modules];
    this.slots = slots;
    this.codecs = new TxCodecs([...this.specs.values()].map((s) => s.spec.codec));
  }

  /** The module spec for a transaction. Blocks are decoded with this registry's codecs, so every tx has one. */
  route(tx: DeliveryTx): RoutedTx {
    const entry = this.specs.get(tx.type);
    if (!entry) throw new Error(`delivery modules: no module owns tx type ${tx.type}`);
    const { module, spec } = entry;
    switch (spec.kind) {
      // The event spec's codec is the only decoder of its byte and yields an EventTx.
      case 'event':
        return { kind: 'event', module, tx: tx as EventTx, spec };
      case 'side':
        return { kind: 'side', module, tx, spec };
      case 'plain':
        return { kind: 'plain', module, tx, spec };
    }
  }

  nameOf(type: number): string {
    return this.specs.get(type)?.spec.codec.name ?? `type-${type}`;
  }

  /** Side and event txs wait for the validators' votes; plain txs do not. */
  isSide(tx: DeliveryTx): boolean {
    return this.specs.get(tx.type)?.spec.kind !== 'plain';
  }

  /** The key that allows one such tx per block and in flight. */
  uniqueKey(r: RoutedTx): string {
    return r.kind === 'event' ? eventKey(r.tx.ref.rootChainId, r.tx.type, r.tx.ref.sequence) : r.spec.key(r.tx);
  }

  validate(r: RoutedTx, ctx: BlockContext): string | null {
    return r.kind === 'event' ? r.spec.validate(r.tx, ctx) : r.spec.validate(r.tx, ctx);
  }

  exclusive(r: RoutedTx): { key: string; reason: string } | null {
    return (r.kind === 'event' ? r.spec.exclusive?.(r.tx) : r.spec.exclusive?.(r.tx)) ?? null;
  }

  /** The first module that mirrors this root event, with the tx it makes; null when no module tracks it. */
  txFromRootEvent(ev: RootEvent): { tx: EventTx; spec: EventTxSpec<EventTx> } | null {
    for (const m of this.modules) {
      const tx = m.txFromRootEvent?.(ev);
      if (!tx) continue;
      const r = this.route(tx);
      if (r.kind !== 'event') throw new Error(`delivery modules: module "${m.name}" mirrors a root event as ${r.spec.codec.name}, which is not an event tx`);
      return { tx: r.tx, spec: r.spec };
    }
    return null;
  }

  /** The consensus set that decided `state.height` and the one deciding the next height. */
  consensusSets(state: DeliveryState): { decided: ValidatorSet; next: ValidatorSet } {
    const sets = this.consensus.consensusSets?.(state);
    if (!sets) throw new Error(`delivery modules: "${this.consensus.name}" gave no consensus validator sets`);
    return sets;
  }

  routes(): readonly RestRoute[] {
    return this.restRoutes;
  }
}
