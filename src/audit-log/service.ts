/**
 * The read side over a node's log store: status, pages of public records and batches, and exports
 * (REST, `audit log --datadir`, evidence packages). `identity` (chain id, signer, anchor contract) is
 * kept in the store, so a data dir alone says whose log it is.
 */
import type { AnchoredView, AnchorState, AuditStatus } from './interface.ts';

/** How many recent anchors the status looks through for the newest one a checkpoint covers. */
const COVERED_SCAN = 512;
import type { AuditStore } from './store.ts';
import type { LogExport } from './verify.ts';

export interface LogIdentity {
  chainId: number;
  signer: string;
  anchorContract: string | null;
  /** The staking root chain whose checkpoints cover the anchors, as the node is configured. */
  rootChain?: { id: number; name: string; address: string | null };
}

export interface CoveringCheckpoint {
  rootChainId: number;
  number: number;
  headerBlockId: string;
  start: number;
  end: number;
  rootHash: string;
  rootTxHash: string;
}

export interface AuditLogServiceDeps {
  store: AuditStore;
  /** The anchorer's view when the node runs one: the newest anchor in a canonical block, and pending count. */
  anchors?: { latest(): AnchorState | null; pendingCount(): number } | null;
  /** The acked checkpoint whose range holds a Bttc block, if any. */
  coveringCheckpoint?: ((block: number) => Promise<CoveringCheckpoint | null>) | null;
  privateRetentionMs?: number;
}

/** Most records one export may hold (a request beyond it is refused, not truncated). */
export const MAX_EXPORT_RECORDS = 1_000_000;

export async function readIdentity(store: AuditStore): Promise<LogIdentity | null> {
  return ((await store.meta.get('identity')) as LogIdentity | undefined) ?? null;
}

export class AuditLogService {
  readonly #deps: AuditLogServiceDeps;
  readonly identity: LogIdentity;

  constructor(identity: LogIdentity, deps: AuditLogServiceDeps) {
    this.identity = identity;
    this.#deps = deps;
  }

  get store(): AuditStore {
    return this.#deps.store;
  }

  async #latestAnchor(): Promise<AnchorState | null> {
    if (this.#deps.anchors) return this.#deps.anchors.latest();
    for await (const a of this.store.anchors.values({ reverse: true })) if (a.block) return a;
    return null;
  }

  async status(): Promise<AuditStatus> {
    const { store } = this;
    const [pub, priv] = await Promise.all([store.head('public'), store.head('private')]);
    const last = pub && pub.nextBatch > 0 ? await store.batch('public', pub.nextBatch - 1) : undefined;
    const a = await this.#latestAnchor();
    const view = async (x: AnchorState & { block: NonNullable<AnchorState['block']> }): Promise<AnchoredView> => ({
      batch: x.batch,
      digest: x.digest,
      txHash: x.txHash,
      block: x.block.number,
      blockHash: x.block.hash,
      checkpoint: this.#deps.coveringCheckpoint ? await this.#deps.coveringCheckpoint(x.block.number) : null,
    });
    const latestAnchored = a?.block ? await view({ ...a, block: a.block }) : null;
    let latestCovered = latestAnchored?.checkpoint ? latestAnchored : null;
    if (!latestCovered && this.#deps.coveringCheckpoint) {
      for await (const x of store.anchors.values({ reverse: true, limit: COVERED_SCAN })) {
        if (!x.block) continue;
        const v = await view({ ...x, block: x.block });
        if (v.checkpoint) {
          latestCovered = v;
          break;
        }
      }
    }
    let pending = this.#deps.anchors?.pendingCount() ?? 0;
    if (!this.#deps.anchors) for await (const x of store.anchors.values()) if (!x.block) pending++;
    return {
      signer: this.identity.signer,
      anchorContract: this.identity.anchorContract,
      latestSeq: pub && pub.nextSeq > 0 ? pub.nextSeq - 1 : null,
      latestBatch: last ? { batch: last.batch, lastSeq: last.lastSeq, digest: last.digest, time: last.time } : null,
      latestAnchored,
      latestCovered,
      pendingAnchors: pending,
      private: { latestSeq: priv && priv.nextSeq > 0 ? priv.nextSeq - 1 : null, firstSeq: priv?.firstSeq ?? 0, retentionMs: this.#deps.privateRetentionMs ?? 0 },
    };
  }

  records(from: number, limit: number) {
    return this.store.listRecords('public', from, limit);
  }

  batches(from: number, limit: number) {
    return this.store.listBatches('public', from, limit);
  }

  /** Public batches [from, from + limit) with their records and anchors. */
  async exportBatches(from: number, limit: number): Promise<LogExport> {
    const batches = await this.store.listBatches('public', from, limit);
    const out: LogExport = { format: 'bttc-audit-log', version: 1, ...this.identity, batches, records: [], anchors: [] };
    if (batches.length === 0) return out;
    const first = batches[0]!.firstSeq;
    const count = batches[batches.length - 1]!.lastSeq - first + 1;
    if (count > MAX_EXPORT_RECORDS) throw new RangeError(`export of batches ${from}..${from + batches.length - 1} would hold ${count} records, more than ${MAX_EXPORT_RECORDS}: ask for fewer batches`);
    out.records = await this.store.listRecords('public', first, count);
    for await (const a of this.store.anchors.values({ gte: batches[0]!.batch, lt: batches[batches.length - 1]!.batch + 1 })) out.anchors.push(a);
    return out;
  }

  /** The whole public log. */
  async exportAll(): Promise<LogExport> {
    return this.exportBatches(0, Number.MAX_SAFE_INTEGER);
  }
}
