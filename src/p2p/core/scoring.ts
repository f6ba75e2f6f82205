/**
 * Peer scoring for a small, permissioned validator network (4–100 nodes, all staked, often on one
 * host in a devnet). What matters here is punishing peers that send invalid data; what does not:
 * sybil defences built for open networks (IP colocation would penalise a loopback devnet) and
 * mesh-delivery deficits (message rates are low and bursty, so quiet topics would look like
 * failing peers). Invalid deliveries dominate the score and decay slowly (half-life ≈ 70 s), so a
 * peer that keeps sending garbage crosses the gossip, publish and graylist thresholds in turn.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score';
import type { GossipKind } from '../topics.ts';

/** Heavier topics weigh more: a bad block costs the most. */
const TOPIC_WEIGHT: Readonly<Record<GossipKind, number>> = {
  'bttc-block': 1,
  'bttc-tx': 0.25,
  'delivery-proposal': 1,
  'delivery-vote': 0.5,
  'gov-ballot': 0.25,
};

/** Score of one invalid message before squaring (P4 = weight × count² × topicWeight). */
export const INVALID_MESSAGE_WEIGHT = -100;

export function topicScoreParams(kind: GossipKind): Partial<TopicScoreParams> {
  return {
    topicWeight: TOPIC_WEIGHT[kind],
    timeInMeshWeight: 0.03,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.9,
    meshMessageDeliveriesCap: 1,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 60_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.9,
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    invalidMessageDeliveriesDecay: 0.99,
  };
}

export function peerScoreParams(topics: Record<GossipKind, string>, appSpecificScore: (peer: string) => number): Partial<PeerScoreParams> {
  return {
    topics: Object.fromEntries(Object.entries(topics).map(([kind, topic]) => [topic, topicScoreParams(kind as GossipKind)])) as Record<string, TopicScoreParams>,
    topicScoreCap: 50,
    appSpecificScore,
    appSpecificWeight: 1,
    IPColocationFactorWeight: 0,
    IPColocationFactorThreshold: 10,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 10 * 60 * 1000,
  };
}

/**
 * Below gossipThreshold a peer gets no gossip from us; below publishThreshold none of our own
 * messages; below graylistThreshold its RPCs are ignored entirely. Four invalid blocks in quick
 * succession (−1600) stop gossip, about 13 graylist the peer.
 */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -1000,
  publishThreshold: -4000,
  graylistThreshold: -16000,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
};

/** Applied by penalize() (sync peers that served bad data), decaying with `APP_PENALTY_DECAY` per second. */
export const APP_PENALTY = -500;
export const APP_PENALTY_DECAY = 0.98;
