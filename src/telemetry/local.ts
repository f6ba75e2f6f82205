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
  /** Agent versions seen through libp2p identify: the network worker does not report them yet. */
  clientVersions: null;
  clientVersionsNote: string;
  /** Bttc head number and how old its header time is, seconds (a lagging executor or a stalled chain). */
  bttcHead: number;
  bttcHeadAgeSeconds: number;
  /** Delivery height this node committed. */
  deliveryHeight: number;
}

export interface LocalSources {
  peers(): Promise<{ peerId: string; score: number }[]>;
  bttcHead(): { number: number; time: number };
  deliveryHeight(): number;
  now(): number;
}

export async function localSignals(src: LocalSources): Promise<LocalSignals> {
  const peers = await src.peers().catch(() => []);
  const head = src.bttcHead();
  return {
    scope: 'local: this node only, not consensus data',
    peers: peers.length,
    gossipScores: peers.map((p) => ({ peerId: p.peerId, scoreMilli: Math.round(p.score * 1000) })),
    clientVersions: null,
    clientVersionsNote: 'libp2p identify agent versions are not exposed by the network worker yet',
    bttcHead: head.number,
    bttcHeadAgeSeconds: Math.max(0, Math.round(src.now() / 1000 - head.time)),
    deliveryHeight: src.deliveryHeight(),
  };
}
