/**
 * Fork choice by total difficulty (spec §8: the heaviest chain wins). Blocks form a tree in memory
 * over a retention window; a block whose parent has not arrived waits as an orphan and joins when it
 * does, so the chosen head does not depend on arrival order. Ties are broken as geth does (the lower
 * number wins, favouring the chain with more in-turn blocks) and then, instead of geth's coin flip,
 * by the lower hash, which keeps every node on the same head.
 *
 * A head change that is not a simple extension is a reorg: the result names the common ancestor,
 * the blocks leaving the canonical chain and those joining it, for the chain store to apply.
 */
import { bytesToHex, compareBytes } from '../../util/bytes.ts';

export interface BlockMeta {
  hash: Uint8Array;
  parentHash: Uint8Array;
  number: bigint;
  difficulty: bigint;
  /** Total difficulty including this block. */
  td: bigint;
}

export interface Reorg {
  oldHead: BlockMeta;
  newHead: BlockMeta;
  ancestor: BlockMeta;
  /** Leaving the canonical chain, from the old head down to just above the ancestor. */
  removed: BlockMeta[];
  /** Joining it, from just above the ancestor up to the new head. */
  added: BlockMeta[];
}

export interface HeadChange {
  /** Set when the head moved; `reorg.removed` is empty for a plain extension. */
  reorg: Reorg;
}

export type AddResult = { status: 'known' } | { status: 'orphan' } | { status: 'too-old'; reason: string } | { status: 'added'; connected: BlockMeta[]; head: HeadChange | null };

export interface ForkChoiceOptions {
  /** Blocks more than this far below the head are forgotten (deeper reorgs are refused). */
  retain?: number;
  maxOrphans?: number;
}

/** True when `a` should be the head rather than `b`. */
export function heavier(a: BlockMeta, b: BlockMeta): boolean {
  if (a.td !== b.td) return a.td > b.td;
  if (a.number !== b.number) return a.number < b.number;
  return compareBytes(a.hash, b.hash) < 0;
}

export class ForkChoice {
  private readonly blocks = new Map<string, BlockMeta>();
  private readonly orphans = new Map<string, { hash: Uint8Array; parentHash: Uint8Array; number: bigint; difficulty: bigint }[]>();
  private orphanCount = 0;
  private readonly retain: number;
  private readonly maxOrphans: number;
  private headMeta: BlockMeta;

  /** `root` is the trusted starting block (genesis, or the stored head with its total difficulty). */
  constructor(root: BlockMeta, opts: ForkChoiceOptions = {}) {
    this.retain = opts.retain ?? 1024;
    this.maxOrphans = opts.maxOrphans ?? 1024;
    this.blocks.set(bytesToHex(root.hash), root);
    this.headMeta = root;
  }

  get head(): BlockMeta {
    return this.headMeta;
  }

  get(hash: Uint8Array): BlockMeta | undefined {
    return this.blocks.get(bytesToHex(hash));
  }

  /**
   * Adds a block already stored with its total difficulty (an ancestor read back from the chain
   * store after a restart or beyond the window); never moves the head.
   */
  insertKnown(meta: BlockMeta): void {
    const key = bytesToHex(meta.hash);
    if (!this.blocks.has(key)) this.blocks.set(key, meta);
  }

  /** Adds a verified block; returns the head change (if any) after it and any orphans it connected. */
  add(block: { hash: Uint8Array; parentHash: Uint8Array; number: bigint; difficulty: bigint }): AddResult {
    const key = bytesToHex(block.hash);
    if (this.blocks.has(key)) return { status: 'known' };
    if (block.number + BigInt(this.retain) < this.headMeta.number)
      return { status: 'too-old', reason: `block ${block.number} is more than ${this.retain} blocks below the head ${this.headMeta.number}` };
    const parent = this.blocks.get(bytesToHex(block.parentHash));
    if (!parent) {
      this.addOrphan(block);
      return { status: 'orphan' };
    }
    if (parent.number + 1n !== block.number) return { status: 'too-old', reason: `block ${block.number} does not follow its parent ${parent.number}` };
    const oldHead = this.headMeta;
    const connected: BlockMeta[] = [];
    const queue = [{ ...block, td: parent.td + block.difficulty }];
    let best = oldHead;
    while (queue.length) {
      const meta = queue.shift()!;
      const mk = bytesToHex(meta.hash);
      if (this.blocks.has(mk)) continue;
      this.blocks.set(mk, meta);
      connected.push(meta);
      if (heavier(meta, best)) best = meta;
      const waiting = this.orphans.get(mk);
      if (waiting) {
        this.orphans.delete(mk);
        this.orphanCount -= waiting.length;
        for (const o of waiting) if (o.number === meta.number + 1n) queue.push({ ...o, td: meta.td + o.difficulty });
      }
    }
    if (best === oldHead) return { status: 'added', connected, head: null };
    const reorg = this.reorgTo(oldHead, best);
    this.headMeta = best;
    this.prune();
    return { status: 'added', connected, head: { reorg } };
  }

  /** The segments between two blocks of the tree and their common ancestor. */
  reorgTo(oldHead: BlockMeta, newHead: BlockMeta): Reorg {
    const removed: BlockMeta[] = [];
    const added: BlockMeta[] = [];
    let a = oldHead;
    let b = newHead;
    const step = (m: BlockMeta): BlockMeta => {
      const p = this.blocks.get(bytesToHex(m.parentHash));
      if (!p) throw new Error(`fork choice: ancestor of block ${m.number} ${bytesToHex(m.hash)} is outside the retained window`);
      return p;
    };
    while (b.number > a.number) {
      added.push(b);
      b = step(b);
    }
    while (a.number > b.number) {
      removed.push(a);
      a = step(a);
    }
    while (compareBytes(a.hash, b.hash) !== 0) {
      removed.push(a);
      added.push(b);
      a = step(a);
      b = step(b);
    }
    added.reverse();
    return { oldHead, newHead, ancestor: a, removed, added };
  }

  private addOrphan(block: { hash: Uint8Array; parentHash: Uint8Array; number: bigint; difficulty: bigint }): void {
    if (this.orphanCount >= this.maxOrphans) {
      // Drop the oldest waiting group: orphans are a convenience for out-of-order gossip, not storage.
      const first = this.orphans.keys().next().value as string;
      this.orphanCount -= this.orphans.get(first)!.length;
      this.orphans.delete(first);
    }
    const pk = bytesToHex(block.parentHash);
    const list = this.orphans.get(pk) ?? [];
    if (list.some((o) => compareBytes(o.hash, block.hash) === 0)) return;
    list.push(block);
    this.orphans.set(pk, list);
    this.orphanCount++;
  }

  private prune(): void {
    const floor = this.headMeta.number - BigInt(this.retain);
    if (floor <= 0n || this.blocks.size <= this.retain * 2) return;
    for (const [k, m] of this.blocks) if (m.number < floor) this.blocks.delete(k);
    for (const [k, list] of this.orphans) {
      const keep = list.filter((o) => o.number >= floor);
      this.orphanCount -= list.length - keep.length;
      if (keep.length) this.orphans.set(k, keep);
      else this.orphans.delete(k);
    }
  }
}
