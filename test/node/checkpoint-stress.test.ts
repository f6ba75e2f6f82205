/**
 * `bttc-node bench checkpoint`: the checkpoint round in Delivery precommits, end to end with a real
 * root chain, and the cases that must not pass — a forged checkpoint signature inside a validly
 * signed precommit, too few valid signatures for ⌊2n/3⌋+1, a corrupted precommit signature.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { runCheckpointStress } from '../../src/loadtest/checkpoint-stress.ts';
import type { CheckpointStressResult } from '../../src/loadtest/checkpoint-stress.ts';

const bin = join(resolve(import.meta.dirname, '../..'), 'bin/bttc-node');

/** Carried vote: validator 20 ‖ extLen u16 ‖ ext ‖ sig 65, ext = count u16 ‖ txIndex u16 ‖ vote u8 ‖ sigLen u8 ‖ sig 65. */
const CARRIED_VOTE_BYTES = 20 + 2 + (2 + 2 + 1 + 1 + 65) + 65;
/** submitCheckpoint(bytes, uint256[3][]): selector, two offsets, bytes length + 224, array length, 96 per signature. */
const calldataBytes = (sigs: number) => 4 + 64 + 32 + 224 + 32 + 96 * sigs;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin, ['bench', 'checkpoint', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench checkpoint --json: 4 validators sign in precommits, the carried commit verifies, 2/3+1 approves, the root chain accepts it', () => {
  const r = cli(['--validators', '4', '--threads', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as CheckpointStressResult;
  assert.equal(out.scheme, 'secp256k1');
  assert.equal(out.validators, 4);
  assert.equal(out.threshold, 3);
  assert.equal(out.threads, 1);
  assert.equal(out.carriedCommitBytes, 4 * CARRIED_VOTE_BYTES);
  assert.ok(out.blockBytes > out.carriedCommitBytes && out.blockFits);
  assert.equal(out.blockError, null);
  assert.equal(out.precommitsValid, 4);
  assert.equal(out.precommitsInvalid, 0);
  assert.equal(out.checkpointSigsValid, 4);
  assert.equal(out.checkpointSigsInvalid, 0);
  assert.equal(out.approved, true);
  assert.ok(out.timeToQuorumSeconds !== null && out.verifyAllSeconds !== null && out.timeToQuorumSeconds <= out.verifyAllSeconds);
  assert.ok(out.precommitVerifySeconds > 0 && out.signSeconds > 0);
  assert.equal(out.calldataBytes, calldataBytes(4));
  assert.equal(out.submit?.outcome, 'submitted');
  assert.equal(out.submit?.signatures, 4);
  assert.ok(Number(out.submit?.gasUsed) > 21_000);
});

test('bench checkpoint table names every stage; bad arguments are user errors', () => {
  const r = cli(['--validators', '4', '--threads', '0', '--no-submit']);
  assert.equal(r.code, 0, r.stderr);
  for (const stage of ['a. sign', 'b. block H+2 carrying 4 precommits', 'verify 4 precommit signatures', 'to 2/3+1 (3)', 'all 4', 'calldata', 'not submitted'])
    assert.ok(r.stdout.includes(stage), `${stage} in\n${r.stdout}`);
  assert.doesNotMatch(r.stdout, /BLS/i);
  for (const args of [
    ['--validators', '0'],
    ['--threads', '-1'],
    ['--validators', '4', '--forged', '5'],
  ]) {
    const e = cli(args);
    assert.notEqual(e.code, 0);
    assert.match(e.stderr, /--validators|--threads|--forged/);
    assert.doesNotMatch(e.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a forged checkpoint signature in a validly signed precommit is counted invalid and left out of the calldata', async () => {
  const r = await runCheckpointStress({ validators: 4, threads: 0, forged: 1 });
  assert.equal(r.blockError, null, 'the precommit itself is valid: the block is accepted');
  assert.equal(r.precommitsValid, 4);
  assert.equal(r.checkpointSigsValid, 3);
  assert.equal(r.checkpointSigsInvalid, 1);
  assert.deepEqual(r.rejected, { 'signer mismatch': 1 });
  assert.equal(r.approved, true);
  assert.equal(r.calldataBytes, calldataBytes(3));
  assert.equal(r.submit?.outcome, 'submitted');
  assert.equal(r.submit?.signatures, 3);
});

test('fewer than ⌊2n/3⌋+1 valid checkpoint signatures: not approved, nothing to submit', async () => {
  const r = await runCheckpointStress({ validators: 7, threads: 1, forged: 3, batch: 2 });
  assert.equal(r.threshold, 5);
  assert.equal(r.blockError, null);
  assert.equal(r.checkpointSigsValid, 4);
  assert.equal(r.checkpointSigsInvalid, 3);
  assert.equal(r.approved, false);
  assert.equal(r.timeToQuorumSeconds, null);
  assert.ok(r.verifyAllSeconds !== null);
  assert.equal(r.calldataBytes, null);
  assert.equal(r.submit, null);
  assert.notEqual(r.rootSetupSeconds, null, 'submission was on: the root chain was ready, the round gave it nothing');
});

test('a corrupted precommit signature refuses the block: nothing is tallied', async () => {
  const r = await runCheckpointStress({ validators: 4, threads: 0, badPrecommits: 1, submit: false });
  assert.match(r.blockError ?? '', /invalid precommit signature/);
  assert.equal(r.precommitsInvalid, 1);
  assert.equal(r.precommitsValid, 3);
  assert.equal(r.verifyAllSeconds, null);
  assert.equal(r.checkpointSigsValid, 0);
  assert.equal(r.approved, false);
  assert.equal(r.submit, null);
});
