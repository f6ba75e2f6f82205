/**
 * Polled filters as geth serves them: eth_newFilter (logs), eth_newBlockFilter,
 * eth_newPendingTransactionFilter, read with eth_getFilterChanges (what arrived since the last
 * poll) or eth_getFilterLogs (a log filter's whole range, as eth_getLogs), removed with
 * eth_uninstallFilter or after `timeoutMs` without a poll (geth's filterTimeout, 5 minutes).
 *
 * Bounds geth does not have, because one client could otherwise hold memory without end:
 * - at most `maxFilters` installed (expired ones are swept first); beyond, -32005.
 * - at most `maxChanges` buffered per filter between polls. A block or pending-transaction filter
 *   keeps the newest (a hash stream's old entries only say "something happened"); a log filter that
 *   overflows is removed and its next poll says so (-32005), because silently losing logs would
 *   give the client a wrong answer: it installs a new filter and reads the gap with eth_getLogs.
 * Buffered logs and hashes are the event's own objects, shared by every filter holding them.
 */
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { ChainStoreApi, LocatedLog } from '../chain/interface.ts';
import { counter, gauge } from '../observability/metrics.ts';
import type { BlockResolver } from './blocks.ts';
import { LIMIT_EXCEEDED, RpcError, SERVER_ERROR, invalidParams } from './errors.ts';
import type { ChainEvents } from './events.ts';
import { formatLog, hex } from './format.ts';
import type { MethodRegistryApi } from './interface.ts';
import { newLogMatches, parseLogCriteria, queryLogs, type LogCriteria } from './logs.ts';
import * as p from './params.ts';

export const FILTER_TIMEOUT_MS = 5 * 60 * 1000;

export interface FilterOptions {
  /** A filter not polled for this long is removed (default 5 min, as geth). */
  timeoutMs?: number;
  maxFilters?: number;
  maxChanges?: number;
}

export interface FilterDeps {
  events: ChainEvents;
  chain: Pick<ChainStoreApi, 'head' | 'hasBlock' | 'getBlockLogs' | 'getLogs'>;
  blocks: BlockResolver;
  /** Milliseconds; injectable for tests of the timeout. */
  now?: () => number;
  metrics?: Registry | null;
}

type FilterKind = 'logs' | 'blocks' | 'pending';

interface Filter {
  kind: FilterKind;
  deadline: number;
  /** LocatedLog for log filters, hashes otherwise. */
  changes: (LocatedLog | Uint8Array)[];
  overflowed: boolean;
  criteria?: LogCriteria;
  off: () => void;
}

export const FILTER_NOT_FOUND = 'filter not found';

/** geth's rpc.NewID: 16 random bytes, hex without leading zeros. */
function newId(): string {
  return '0x' + (randomBytes(16).toString('hex').replace(/^0+/, '') || '0');
}

export class FilterSystem {
  private readonly filters = new Map<string, Filter>();
  private readonly opts: Required<FilterOptions>;
  private readonly deps: FilterDeps;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly m: { filters: ReturnType<typeof gauge>; dropped: ReturnType<typeof counter> } | null;

  constructor(opts: FilterOptions, deps: FilterDeps) {
    this.opts = { timeoutMs: FILTER_TIMEOUT_MS, maxFilters: 1000, maxChanges: 10_000, ...opts };
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.m = deps.metrics
      ? {
          filters: gauge(deps.metrics, 'bttc_rpc_filters', 'Polled filters installed, by kind', ['kind']),
          dropped: counter(deps.metrics, 'bttc_rpc_filters_removed_total', 'Filters removed other than by eth_uninstallFilter, by cause', ['cause']),
        }
      : null;
  }

  get size(): number {
    return this.filters.size;
  }

  /** Starts the periodic sweep of expired filters (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(this.opts.timeoutMs, 60_000)));
    this.sweeper.unref();
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const id of [...this.filters.keys()]) this.uninstall(id);
  }

  /** Removes filters past their deadline; returns how many. */
  sweep(): number {
    const t = this.now();
    let n = 0;
    for (const [id, f] of this.filters) {
      if (f.deadline <= t) {
        this.uninstall(id);
        this.m?.dropped.inc({ cause: 'expired' });
        n++;
      }
    }
    return n;
  }

  newLogFilter(criteria: LogCriteria): string {
    return this.install('logs', (f) => {
      f.criteria = criteria;
      const onLogs = (logs: LocatedLog[]) =>
        this.push(
          f,
          logs.filter((l) => newLogMatches(l, criteria)),
        );
      const offs = [this.deps.events.onLogs(onLogs), this.deps.events.onRemovedLogs(onLogs)];
      return () => offs.forEach((o) => o());
    });
  }

  newBlockFilter(): string {
    return this.install('blocks', (f) => this.deps.events.onHead((ev) => this.push(f, [ev.hash])));
  }

  newPendingTxFilter(): string {
    return this.install('pending', (f) =>
      this.deps.events.onPendingTxs((txs) =>
        this.push(
          f,
          txs.map((t) => t.hash),
        ),
      ),
    );
  }

  /** What arrived since the last poll, formatted; resets the filter's deadline. */
  changes(id: string): unknown[] {
    const f = this.filters.get(id);
    if (!f || f.deadline <= this.now()) {
      if (f && this.uninstall(id)) this.m?.dropped.inc({ cause: 'expired' });
      throw new RpcError(SERVER_ERROR, FILTER_NOT_FOUND);
    }
    if (f.overflowed) {
      this.uninstall(id);
      this.m?.dropped.inc({ cause: 'overflow' });
      throw new RpcError(LIMIT_EXCEEDED, `filter ${id} buffered more than ${this.opts.maxChanges} logs since its last poll and was removed: install a new filter and read the gap with eth_getLogs`);
    }
    f.deadline = this.now() + this.opts.timeoutMs;
    const out = f.changes;
    f.changes = [];
    return f.kind === 'logs' ? (out as LocatedLog[]).map(formatLog) : (out as Uint8Array[]).map(hex);
  }

  /** A log filter's whole range (eth_getLogs with its criteria). */
  async logs(id: string): Promise<unknown[]> {
    const f = this.filters.get(id);
    if (f?.kind !== 'logs' || !f.criteria || f.deadline <= this.now()) throw new RpcError(SERVER_ERROR, FILTER_NOT_FOUND);
    return (await queryLogs(this.deps.chain, this.deps.blocks, f.criteria)).map(formatLog);
  }

  uninstall(id: string): boolean {
    const f = this.filters.get(id);
    if (!f) return false;
    this.filters.delete(id);
    this.m?.filters.dec({ kind: f.kind });
    f.off();
    f.changes = [];
    return true;
  }

  private install(kind: FilterKind, subscribe: (f: Filter) => () => void): string {
    if (this.filters.size >= this.opts.maxFilters) this.sweep();
    if (this.filters.size >= this.opts.maxFilters) throw new RpcError(LIMIT_EXCEEDED, `too many filters installed (limit ${this.opts.maxFilters}); uninstall some or let them expire`);
    const f: Filter = { kind, deadline: this.now() + this.opts.timeoutMs, changes: [], overflowed: false, off: () => {} };
    f.off = subscribe(f);
    let id = newId();
    while (this.filters.has(id)) id = newId();
    this.filters.set(id, f);
    this.m?.filters.inc({ kind });
    return id;
  }

  private push(f: Filter, items: (LocatedLog | Uint8Array)[]): void {
    if (items.length === 0 || f.overflowed) return;
    for (const x of items) f.changes.push(x);
    const over = f.changes.length - this.opts.maxChanges;
    if (over <= 0) return;
    if (f.kind === 'logs') {
      // Stop buffering: the next poll reports the overflow.
      f.overflowed = true;
      f.changes = [];
    } else f.changes.splice(0, over);
  }
}

function filterId(v: unknown): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw invalidParams(`invalid argument 0: expected a filter id, got ${p.show(v)}`);
  return v.toLowerCase();
}

export function registerFilters(reg: MethodRegistryApi, filters: FilterSystem): void {
  reg.register('eth_newFilter', (params) => {
    p.requireParams(params, 1, 1, 'eth_newFilter');
    return filters.newLogFilter(parseLogCriteria(params[0]));
  });
  reg.register('eth_newBlockFilter', (params) => {
    p.requireParams(params, 0, 0, 'eth_newBlockFilter');
    return filters.newBlockFilter();
  });
  reg.register('eth_newPendingTransactionFilter', (params) => {
    // geth's optional fullTx flag is not supported: the filter returns hashes.
    p.requireParams(params, 0, 1, 'eth_newPendingTransactionFilter');
    if (params[0] === true) throw invalidParams('full transactions in pending-transaction filters are not supported; use eth_subscribe("newPendingTransactions", true)');
    return filters.newPendingTxFilter();
  });
  reg.register('eth_getFilterChanges', (params) => {
    p.requireParams(params, 1, 1, 'eth_getFilterChanges');
    return filters.changes(filterId(params[0]));
  });
  reg.register('eth_getFilterLogs', (params) => {
    p.requireParams(params, 1, 1, 'eth_getFilterLogs');
    return filters.logs(filterId(params[0]));
  });
  reg.register('eth_uninstallFilter', (params) => {
    p.requireParams(params, 1, 1, 'eth_uninstallFilter');
    return filters.uninstall(filterId(params[0]));
  });
}
