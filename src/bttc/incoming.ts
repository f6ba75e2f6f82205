/**
 * Blocks handed to the import queue and not yet through it, by parent: what a backup producer
 * checks before spending a slot on a block that a better-placed producer's block will beat.
 *
 * The difficulty is the header's claim, read before the seal is checked: a peer that lies about it
 * delays a backup only until its block reaches the front of the queue and is rejected (its gossip
 * score pays for that), and then the producer is woken and seals.
 */
import { bytesToHex } from '../util/bytes.ts';
import type { IncomingBlockSource } from './producer/interface.ts';

export class IncomingBlocks implements IncomingBlockSource {
  private readonly byParent = new Map<string, Map<string, bigint>>();

  add(parentHash: Uint8Array, hash: Uint8Array, difficulty: bigint): void {
    const key = bytesToHex(parentHash);
    let m = this.byParent.get(key);
    if (!m) this.byParent.set(key, (m = new Map()));
    m.set(bytesToHex(hash), difficulty);
  }

  delete(parentHash: Uint8Array, hash: Uint8Array): void {
    const key = bytesToHex(parentHash);
    const m = this.byParent.get(key);
    if (!m) return;
    m.delete(bytesToHex(hash));
    if (m.size === 0) this.byParent.delete(key);
  }

  hasBetter(parentHash: Uint8Array, difficulty: bigint): boolean {
    const m = this.byParent.get(bytesToHex(parentHash));
    if (!m) return false;
    for (const d of m.values()) if (d > difficulty) return true;
    return false;
  }
}
