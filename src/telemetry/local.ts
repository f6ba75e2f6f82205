/**
 * Local infrastructure signals: what this node sees of its own network and executor. They differ
 * from node to node and are not consensus data, so they never feed the scorecard and are reported
 * under their own `local` key, marked as such.
 */

export interface LocalSignals {
  scope: 'local: this node only, not consensus data';
  peers: number;
  /** gossipsub scores × 1000, rounded (REST carries integers only). */
  gossipScores: { peerId: string; scoreMilli: number }[];
  /** This node's client string, as identify announces it. */
  ownVersion: string;
  /** Client strings peers announced through libp2p identify, with how many peers run each. */
  clientVersions: { agentVersion: string; peers: number }[];
  /** Connected peers whose client string differs from ours (identify not yet run: not counted). */
  versionDrift: number;
  /** Bttc head number and how old its header time is, seconds (a lagging executor or a stalled chain). */
  bttcHead: number;
  bttcHeadAgeSeconds: number;
  /** Delivery height this node committed. */
  deliveryHeight: number;
}

export interface LocalSources {
  peers(): Promise<{ peerId: string; score: number; agentVersion?: string }[]>;
  ownVersion: string;
  bttcHead(): { number: number; time: number };
  deliveryHeight(): number;
  now(): number;
}

export async function localSignals(src: LocalSources): Promise<LocalSignals> {
  const peers = await src.peers().catch(() => []);
  const head = src.bttcHead();
  const versions = new Map<string, number>();
  for (const p of peers) if (p.agentVersion !== undefined) versions.set(p.agentVersion, (versions.get(p.agentVersion) ?? 0) + 1);
  return {
    scope: 'local: this node only, not consensus data',
    peers: peers.length,
    gossipScores: peers.map((p) => ({ peerId: p.peerId, scoreMilli: Math.round(p.score * 1000) })),
    ownVersion: src.ownVersion,
    clientVersions: [...versions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([agentVersion, n]) => ({ agentVersion, peers: n })),
    versionDrift: peers.filter((p) => p.agentVersion !== undefined && p.agentVersion !== src.ownVersion).length,
    bttcHead: head.number,
    bttcHeadAgeSeconds: Math.max(0, Math.round(src.now() / 1000 - head.time)),
    deliveryHeight: src.deliveryHeight(),
  };
}
