import { counter, gauge, histogram, SECONDS_BUCKETS, type Registry, type Counter, type Gauge, type Histogram } from '../../observability/metrics.ts';

export interface ConsensusMetrics {
  height: Gauge<string>;
  round: Gauge<string>;
  commits: Counter<string>;
  commitSeconds: Histogram<string>;
  roundsPerHeight: Histogram<string>;
  signaturesVerified: Counter<string>;
  signaturesInvalid: Counter<string>;
  verifyBatchSeconds: Histogram<string>;
  messagesReceived: Counter<string>;
  messagesDropped: Counter<string>;
  equivocations: Counter<string>;
  doubleSignRefused: Counter<string>;
  walAppendSeconds: Histogram<string>;
  signed: Counter<string>;
  timeouts: Counter<string>;
}

export function consensusMetrics(reg: Registry): ConsensusMetrics {
  return {
    height: gauge(reg, 'bttc_consensus_height', 'Height the Delivery consensus is deciding'),
    round: gauge(reg, 'bttc_consensus_round', 'Round of the current height'),
    commits: counter(reg, 'bttc_consensus_commits_total', 'Heights decided'),
    commitSeconds: histogram(reg, 'bttc_consensus_commit_seconds', 'Time from entering a height to deciding it', SECONDS_BUCKETS),
    roundsPerHeight: histogram(reg, 'bttc_consensus_rounds_per_height', 'Rounds needed to decide a height', [1, 2, 3, 4, 6, 8, 12, 16, 32]),
    signaturesVerified: counter(reg, 'bttc_consensus_signatures_verified_total', 'Consensus signatures checked'),
    signaturesInvalid: counter(reg, 'bttc_consensus_signatures_invalid_total', 'Consensus signatures that failed verification'),
    verifyBatchSeconds: histogram(reg, 'bttc_consensus_verify_batch_seconds', 'Time to verify one batch of consensus signatures', SECONDS_BUCKETS),
    messagesReceived: counter(reg, 'bttc_consensus_messages_received_total', 'Consensus messages received', ['kind']),
    messagesDropped: counter(reg, 'bttc_consensus_messages_dropped_total', 'Consensus messages dropped before counting', ['reason']),
    equivocations: counter(reg, 'bttc_consensus_equivocations_total', 'Equivocation evidence recorded'),
    doubleSignRefused: counter(reg, 'bttc_consensus_double_sign_refused_total', 'Signatures refused by the double-sign guard'),
    walAppendSeconds: histogram(reg, 'bttc_consensus_wal_append_seconds', 'Sign + WAL append (fsync) before sending', SECONDS_BUCKETS),
    signed: counter(reg, 'bttc_consensus_messages_signed_total', 'Proposals and votes this node signed (always 0 on a follower)', ['kind']),
    timeouts: counter(reg, 'bttc_consensus_timeouts_total', 'Consensus timeouts that fired and acted', ['step']),
  };
}
