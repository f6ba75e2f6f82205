/**
 * Bttc slot liveness from headers only (Bor's rule, spec §8): with N producers sorted by address and
 * a block sealed by the producer at index s with difficulty d, succession = N − d and the in-turn
 * producer is index (s − succession) mod N. d = N: sealed in turn; otherwise a backup sealed it and
 * the in-turn producer missed its slot. Pure: the sealer is recovered and the producer list looked up
 * by the caller (collector.ts).
 */

export interface SlotFact {
  number: number;
  /** Header time, seconds. */
  time: number;
  difficulty: number;
  /** Recovered seal signer, lower-case 0x-hex. */
  sealer: string;
  /** The span's producers, lower-case 0x-hex (any order: sorted here). */
  producers: string[];
}

export interface SlotRecord {
  number: number;
  sealer: string;
  /** Whose turn it was; null when the sealer or difficulty does not fit the producer list. */
  inTurn: string | null;
}

export interface SlotCounters {
  sealedInTurn: number;
  sealedAsBackup: number;
  /** Own turns a backup sealed. */
  slotsMissed: number;
}

export interface BttcTotals {
  fromBlock: number;
  toBlock: number;
  blocks: number;
  /** Blocks whose sealer or difficulty did not fit the producer list (a span switch mid-sprint). */
  unattributed: number;
  producers: Record<string, SlotCounters>;
}

export function emptyBttcTotals(): BttcTotals {
  return { fromBlock: 0, toBlock: 0, blocks: 0, unattributed: 0, producers: {} };
}

export function slotRecord(f: SlotFact): SlotRecord {
  const list = [...new Set(f.producers.map((p) => p.toLowerCase()))].sort();
  const n = list.length;
  const sealer = f.sealer.toLowerCase();
  const s = list.indexOf(sealer);
  const succession = n - f.difficulty;
  if (s < 0 || succession < 0 || succession >= n) return { number: f.number, sealer, inTurn: null };
  return { number: f.number, sealer, inTurn: list[(((s - succession) % n) + n) % n]! };
}

export function applySlot(t: BttcTotals, r: SlotRecord): BttcTotals {
  if (t.blocks > 0 && r.number !== t.toBlock + 1) throw new Error(`telemetry: block ${r.number} after ${t.toBlock}`);
  const producers: Record<string, SlotCounters> = {};
  for (const [k, c] of Object.entries(t.producers)) producers[k] = { ...c };
  const get = (v: string): SlotCounters => (producers[v] ??= { sealedInTurn: 0, sealedAsBackup: 0, slotsMissed: 0 });
  let unattributed = t.unattributed;
  if (r.inTurn === null) unattributed++;
  else if (r.inTurn === r.sealer) get(r.sealer).sealedInTurn++;
  else {
    get(r.sealer).sealedAsBackup++;
    get(r.inTurn).slotsMissed++;
  }
  return { fromBlock: t.blocks === 0 ? r.number : t.fromBlock, toBlock: r.number, blocks: t.blocks + 1, unattributed, producers };
}
