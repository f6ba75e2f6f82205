/** The `slashing` config: off in the mainnet preset, on in devnet; validation errors name the field. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { slashingParams } from '../../src/slashing/params.ts';

describe('slashing config', () => {
  it('mainnet preset: off, BTTC values (5% double sign, 1% downtime, window 100, min signed 0.5); devnet: on, short window', () => {
    const main = loadConfig('mainnet');
    assert.equal(main.slashing.enabled, false);
    const p = slashingParams(main.slashing);
    assert.deepEqual(p.penalties['double-sign'], { selfBps: 500, delegatorBps: 500, jailEpochs: 4 });
    assert.deepEqual(p.penalties.downtime, { selfBps: 100, delegatorBps: 0, jailEpochs: 1 });
    assert.deepEqual(p.downtime, { window: 100, maxMissed: 50 });
    const dev = loadConfig('devnet');
    assert.equal(dev.slashing.enabled, true);
    assert.ok(dev.slashing.signedBlocksWindow < 100 && dev.slashing.challengeWindow < 100);
  });
  it('bad values are refused naming the field', () => {
    assert.throws(() => loadConfig('devnet', { slashing: { challengeWindow: 0 } }), /slashing\.challengeWindow/);
    assert.throws(() => loadConfig('devnet', { slashing: { slashFractionDoubleSign: 0.5 } }), /slashing\.slashFractionDoubleSign.*slashFractionLimit/);
    assert.throws(() => loadConfig('devnet', { slashing: { minSignedPerWindow: 0 } }), /slashing\.minSignedPerWindow/);
    assert.throws(() => loadConfig('devnet', { slashing: { jailEpochsDowntime: -1 } }), /slashing\.jailEpochsDowntime/);
  });
});
