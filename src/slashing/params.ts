/**
 * The node's slashing config (config `slashing`, BTTC's Delivery names where it has them) turned
 * into the rules the checks and penalties use. Downtime: an offense when more than `maxMissed` of
 * the last `window` commits lack the validator's precommit, maxMissed = window − ⌈window × minSigned⌉.
 */
import type { SlashingConfig } from '../config/types.ts';
import type { PenaltyTable } from './penalty.ts';

export interface SlashingParams {
  enabled: boolean;
  penalties: PenaltyTable;
  downtime: { window: number; maxMissed: number };
  challengeWindow: number;
  unbondingHeights: number;
}

const bps = (fraction: number): number => Math.round(fraction * 10_000);

export function slashingParams(c: SlashingConfig): SlashingParams {
  const minSigned = Math.ceil(c.signedBlocksWindow * c.minSignedPerWindow);
  return {
    enabled: c.enabled,
    penalties: {
      'double-sign': { selfBps: bps(c.slashFractionDoubleSign), delegatorBps: bps(c.slashFractionDoubleSign), jailEpochs: c.jailEpochsDoubleSign },
      'double-seal': { selfBps: bps(c.slashFractionEquivocation), delegatorBps: 0, jailEpochs: c.jailEpochsEquivocation },
      'checkpoint-equivocation': { selfBps: bps(c.slashFractionEquivocation), delegatorBps: 0, jailEpochs: c.jailEpochsEquivocation },
      downtime: { selfBps: bps(c.slashFractionDowntime), delegatorBps: 0, jailEpochs: c.jailEpochsDowntime },
    },
    downtime: { window: c.signedBlocksWindow, maxMissed: c.signedBlocksWindow - minSigned },
    challengeWindow: c.challengeWindow,
    unbondingHeights: c.unbondingHeights,
  };
}
