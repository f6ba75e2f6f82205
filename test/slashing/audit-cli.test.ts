/** `bttc-node audit slash` as a child process: decision, penalty and amounts per staker; refusals; bad input. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKey } from '../helpers/keys.ts';
import { encodeVote, voteDigest } from '../../src/delivery/consensus/codec.ts';
import type { Vote } from '../../src/delivery/consensus/types.ts';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { evidenceHash, type Evidence } from '../../src/slashing/evidence.ts';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const K = testKey('audit-slash-v');
const CHAIN = 'delivery-devnet-audit';

function vote(value: number): string {
  const v: Vote = { type: 3, height: 40, round: 0, valueId: new Uint8Array(32).fill(value), validator: hexToBytes(K.addressHex), extension: new Uint8Array(0), signature: new Uint8Array(65) };
  v.signature = signRsv(voteDigest(CHAIN, v), K.secret);
  return bytesToHex(encodeVote(v));
}

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => execFile(process.execPath, [CLI, ...args], (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err })));
}

describe('bttc-node audit slash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-slash-'));
  const file = (name: string, v: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(v));
    return p;
  };
  const ev: Evidence = { v: 1, offense: 'double-sign', chainId: CHAIN, voteA: vote(1), voteB: vote(2) };
  const ctx = {
    chainId: CHAIN,
    height: 50,
    validators: [{ signer: K.addressHex, id: 3, self: '2000000000000000000000', delegators: { '0x00000000000000000000000000000000000000d1': '1000000000000000000000' } }],
  };

  it('double sign: slash, 5% of own and delegated stake (devnet penalties), per staker', async () => {
    const r = await run(['audit', 'slash', '--evidence', file('ev.json', ev), '--validators', file('ctx.json', ctx)]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.id, evidenceHash(ev));
    assert.equal(j.decision, 'slash');
    assert.equal(j.validator, K.addressHex);
    assert.deepEqual(j.penalty, { selfBps: 500, delegatorBps: 500, jailEpochs: 4, prior: 0 });
    assert.deepEqual(j.amounts, {
      self: '100000000000000000000',
      delegators: '50000000000000000000',
      perStaker: { owner: '100000000000000000000', '0x00000000000000000000000000000000000000d1': '50000000000000000000' },
    });
  });

  it('unbonding delegators and leaving partners: cut as the contracts cut them, counted in self/delegators and per staker', async () => {
    const [d1, d2, pl] = ['0x00000000000000000000000000000000000000d1', '0x00000000000000000000000000000000000000d2', '0x00000000000000000000000000000000000000e1'];
    const v0 = ctx.validators[0]!;
    const withUnbonding = { ...ctx, validators: [{ ...v0, unbonding: { [d1]: '300000000000000000001', [d2]: '700000000000000000000' }, leaving: { [pl]: '999' } }] };
    const r = await run(['audit', 'slash', '--evidence', file('ev.json', ev), '--validators', file('ctx-unb.json', withUnbonding)]);
    assert.equal(r.code, 0, r.err);
    // pool 1000e18 + 1 wei: cut floor(pool × 5%) = 50e18; d1 keeps floor(d1 × (pool − cut) / pool).
    const pool = 1000n * 10n ** 18n + 1n;
    const cut = (pool * 500n) / 10000n;
    const d1Loss = 300000000000000000001n - (300000000000000000001n * (pool - cut)) / pool;
    const d2Loss = 700n * 10n ** 18n - (700n * 10n ** 18n * (pool - cut)) / pool;
    assert.deepEqual(JSON.parse(r.out).amounts, {
      self: String(100n * 10n ** 18n + 49n),
      delegators: String(50n * 10n ** 18n + cut),
      perStaker: { owner: '100000000000000000000', [d1]: String(50n * 10n ** 18n + d1Loss), [d2]: String(d2Loss), [pl]: '49' },
    });
    // A leave or unbond that is not a decimal wei string is refused naming it.
    const bad = await run(['audit', 'slash', '--evidence', file('ev.json', ev), '--validators', file('ctx-bad.json', { ...ctx, validators: [{ ...v0, leaving: { [pl]: '1e3' } }] })]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, new RegExp(`leaving\\.${pl}`));
  });

  it('accepts a REST record and reports a refusal with its code; escalates with prior offenses', async () => {
    const same = { ...ev, voteB: ev.voteA };
    const r = await run(['audit', 'slash', '--evidence', file('rec.json', { height: '9', result: { status: 'candidate', evidence: same } })]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.decision, 'refused');
    assert.equal(j.code, 'not-conflicting');
    assert.ok(j.notChecked.includes('validator-set membership'));
    const r2 = await run(['audit', 'slash', '--evidence', file('ev.json', ev), '--validators', file('ctx2.json', { ...ctx, prior: { [K.addressHex]: 1 } })]);
    assert.equal(JSON.parse(r2.out).penalty.selfBps, 1000);
  });

  it('bad input exits 2 naming the field', async () => {
    const r = await run(['audit', 'slash', '--evidence', file('bad.json', { ...ev, voteA: 'nope' })]);
    assert.equal(r.code, 2);
    assert.match(r.err, /evidence\.voteA/);
    rmSync(dir, { recursive: true, force: true });
  });
});
