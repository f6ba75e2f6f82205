/**
 * Prometheus gauges per validator (`validator` = its staking id), set from the chain-derived totals:
 * they are the same on every node and survive a restart (they are read back from the store), which
 * is why they are gauges and not process-local counters.
 *
 * With `refresh`, every gauge calls it when scraped (prom-client's `collect`): the collector then
 * sets them from its totals at scrape time instead of once per Delivery height (a window fold and
 * ≈ 9 sets per validator every second, read by nobody between scrapes).
 */
import { gauge, scrapedGauge, type Gauge, type Registry } from '../observability/metrics.ts';

export interface TelemetryMetrics {
  height: Gauge<string>;
  commitsSigned: Gauge<string>;
  commitsMissed: Gauge<string>;
  windowCommitsMissed: Gauge<string>;
  proposalsMade: Gauge<string>;
  proposalsMissed: Gauge<string>;
  checkpointSigsIncluded: Gauge<string>;
  checkpointSigsMissing: Gauge<string>;
  down: Gauge<string>;
  lastRecoverySeconds: Gauge<string>;
  slotsInTurn: Gauge<string>;
  slotsBackup: Gauge<string>;
  slotsMissed: Gauge<string>;
  score: Gauge<string>;
  blockInterval: Gauge<string>;
}

/** Every metric name the node exports from telemetry (the alert-rules test checks rules only use exported names). */
export function telemetryMetrics(reg: Registry, refresh?: () => void): TelemetryMetrics {
  const v = ['validator'];
  const gauge: typeof plainGauge = refresh ? (reg, name, help, labelNames = []) => scrapedGauge(reg, name, help, labelNames, refresh) : plainGauge;
  return {
    height: gauge(reg, 'bttc_telemetry_delivery_height', 'Last Delivery height whose outcome telemetry has counted'),
    commitsSigned: gauge(reg, 'bttc_validator_commits_signed', 'Delivery heights whose carried commit holds the validator precommit (cumulative)', v),
    commitsMissed: gauge(reg, 'bttc_validator_commits_missed', 'Delivery heights whose carried commit lacks the validator precommit (cumulative)', v),
    windowCommitsMissed: gauge(reg, 'bttc_validator_window_commits_missed', 'Missed Delivery commits over the sliding telemetry window', v),
    proposalsMade: gauge(reg, 'bttc_validator_proposals_made', 'Delivery heights decided on the validator proposal (cumulative)', v),
    proposalsMissed: gauge(reg, 'bttc_validator_proposals_missed', 'Delivery heights where the validator was round 0 proposer and a later round decided (cumulative)', v),
    checkpointSigsIncluded: gauge(reg, 'bttc_validator_checkpoint_signatures_included', 'Checkpoints whose tallied signature set holds the validator signature (cumulative)', v),
    checkpointSigsMissing: gauge(reg, 'bttc_validator_checkpoint_signatures_missing', 'Checkpoints whose tallied signature set lacks the validator signature (cumulative)', v),
    down: gauge(reg, 'bttc_validator_down', '1 while the validator has missed every Delivery commit since its last one', v),
    lastRecoverySeconds: gauge(reg, 'bttc_validator_last_recovery_seconds', 'Block time from the first missed commit of the last outage to the next signed one', v),
    slotsInTurn: gauge(reg, 'bttc_validator_slots_sealed_in_turn', 'Confirmed Bttc blocks the validator sealed in its own turn', v),
    slotsBackup: gauge(reg, 'bttc_validator_slots_sealed_as_backup', 'Confirmed Bttc blocks the validator sealed as a backup', v),
    slotsMissed: gauge(reg, 'bttc_validator_slots_missed', 'Confirmed Bttc blocks of the validator turn that a backup sealed', v),
    score: gauge(reg, 'bttc_validator_score', 'Scorecard score (0..1) over the telemetry window, by policy version', ['validator', 'policy']),
    blockInterval: gauge(reg, 'bttc_chain_block_interval_seconds', 'Header time between the last two confirmed Bttc blocks telemetry counted'),
  };
}

const plainGauge = gauge;
