/**
 * Gossip message kinds and their topic names. Topic names carry the chain id so that two networks
 * sharing a machine (devnet next to a testnet node) can never mesh into each other.
 */

export const GOSSIP_KINDS = ['bttc-block', 'bttc-tx', 'delivery-proposal', 'delivery-vote', 'gov-ballot'] as const;
export type GossipKind = (typeof GOSSIP_KINDS)[number];

/** One byte per kind on the wire (envelope) and across the worker boundary. */
export const KIND_CODE: Readonly<Record<GossipKind, number>> = {
  'bttc-block': 1,
  'bttc-tx': 2,
  'delivery-proposal': 3,
  'delivery-vote': 4,
  // Governance ballots (issue 18); taken from the high end so other new kinds can take 5, 6, …
  'gov-ballot': 9,
};

const CODE_KIND: ReadonlyMap<number, GossipKind> = new Map(GOSSIP_KINDS.map((k) => [KIND_CODE[k], k]));

export function kindFromCode(code: number): GossipKind | undefined {
  return CODE_KIND.get(code);
}

export function isGossipKind(x: unknown): x is GossipKind {
  return typeof x === 'string' && (GOSSIP_KINDS as readonly string[]).includes(x);
}

/**
 * Payload encoding version of each kind, the last part of its topic name: nodes that encode a kind
 * differently never share its topic, so they do not punish each other's messages as malformed.
 * bttc-tx 2: batches carry a resend epoch (codec/txBatch.ts).
 */
export const TOPIC_VERSION: Readonly<Record<GossipKind, number>> = {
  'bttc-block': 1,
  'bttc-tx': 2,
  'delivery-proposal': 1,
  'delivery-vote': 1,
  'gov-ballot': 1,
};

/** `/bttc/<chainId>/<kind>/<version>`: the trailing number versions the payload encoding of that kind. */
export function topicName(chainId: number | string, kind: GossipKind): string {
  return `/bttc/${chainId}/${kind}/${TOPIC_VERSION[kind]}`;
}

export function topicNames(chainId: number | string): Record<GossipKind, string> {
  return Object.fromEntries(GOSSIP_KINDS.map((k) => [k, topicName(chainId, k)])) as Record<GossipKind, string>;
}

/**
 * Per-kind intake limits. `maxPending` bounds messages handed to the main thread and not yet
 * validated (the worker ignores new ones beyond it rather than queueing without bound);
 * `concurrency` is how many validations of that kind the main thread runs at once. Blocks are few
 * and heavy (execution), transactions many and light, votes latency-critical.
 */
export interface KindLimits {
  maxPending: number;
  concurrency: number;
  /** Largest accepted payload, bytes (gossipsub's own cap is applied on the whole RPC). */
  maxBytes: number;
}

export const DEFAULT_KIND_LIMITS: Readonly<Record<GossipKind, KindLimits>> = {
  'bttc-block': { maxPending: 64, concurrency: 2, maxBytes: 4 * 1024 * 1024 },
  'bttc-tx': { maxPending: 4096, concurrency: 64, maxBytes: 256 * 1024 },
  'delivery-proposal': { maxPending: 64, concurrency: 4, maxBytes: 2 * 1024 * 1024 },
  'delivery-vote': { maxPending: 2048, concurrency: 64, maxBytes: 4 * 1024 },
  // One ballot's canonical JSON per message (MAX_BALLOT_BYTES in delivery/modules/gov/txs.ts).
  'gov-ballot': { maxPending: 1024, concurrency: 16, maxBytes: 2048 },
};

/** Request/response methods (one libp2p protocol each). */
export const REQ_METHODS = ['status', 'bttc-blocks-by-range', 'delivery-by-range'] as const;
export type ReqMethod = (typeof REQ_METHODS)[number];

export function isReqMethod(x: unknown): x is ReqMethod {
  return typeof x === 'string' && (REQ_METHODS as readonly string[]).includes(x);
}

export function protocolName(chainId: number | string, method: ReqMethod): string {
  return `/bttc/${chainId}/req/${method}/1`;
}
