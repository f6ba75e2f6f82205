/** The audit commands as a user runs them: real `bin/bttc-node` processes on vector and broken input. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface } from 'ethers';
import { vectors } from '../helpers/vectors.ts';
import { tempDir } from '../helpers/tmp.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/bttc-node');
const dir = tempDir({ after }, 'audit');
let n = 0;
function file(content: unknown): string {
  const p = join(dir, `in${n++}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
function run(args: string[], stdin?: string): { code: number | null; out: unknown; stderr: string; stdout: string } {
  const r = spawnSync(bin, ['audit', ...args], { input: stdin ?? '', encoding: 'utf8', timeout: 60_000 });
  let out: unknown = null;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    /* not JSON: checked by the caller */
  }
  return { code: r.status, out, stderr: r.stderr, stdout: r.stdout };
}
function assertUserError(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected failure, got stdout ${r.stdout}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stdout, '');
}

const headers = vectors.checkpointLeaves.slice(0, 3).map(({ number, timestamp, txRoot, receiptsRoot }) => ({ number, timestamp, txRoot, receiptsRoot }));
const gen = vectors.mainnetGenesisValidatorSet.validators;

test('audit checkpoint-root: vector roots, numbers as strings, stdin', () => {
  const r = run(['checkpoint-root', '--headers', file(headers)]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.out, { root: vectors.checkpointRoots[1]!.root, leaves: 3 });
  const asStrings = headers.slice(0, 2).map((h) => ({ ...h, number: String(h.number), timestamp: String(h.timestamp) }));
  const s = run(['checkpoint-root', '--headers', '-'], JSON.stringify(asStrings));
  assert.deepEqual(s.out, { root: vectors.checkpointRoots[0]!.root, leaves: 2 });
});

test('audit account-root: vector roots', () => {
  const accounts = (vectors.accountRoots[1]!.accounts as [string, string][]).map(([address, fee]) => ({ address, fee }));
  assert.deepEqual(run(['account-root', '--accounts', file(accounts)]).out, { root: vectors.accountRoots[1]!.root });
  const genesis = gen.map((v) => ({ address: v.signer, fee: 0 }));
  assert.deepEqual(run(['account-root', '--accounts', file(genesis)]).out, { root: vectors.accountRoots[2]!.root });
});

test('audit producers: vector draws and producer powers', () => {
  for (const c of vectors.producerSelection.cases) {
    const vals = c.idsInOrder.map((id, i) => ({ id, signer: '0x' + (i + 1).toString(16).padStart(2, '0').repeat(20), power: c.powers[i] }));
    const r = run(['producers', '--seed', c.seed, '--count', String(c.producerCount), '--validators', file(vals)]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.out as { picked: number[]; producers: { id: number; power: number }[] };
    assert.deepEqual(out.picked, c.pickedIdsInDrawOrder);
    const total = out.producers.reduce((a, p) => a + p.power, 0);
    assert.equal(total, c.producerCount);
  }
});

test('audit proposer: genesis vector, then increments, then from given accums', () => {
  const vals = [...gen].reverse().map((v) => ({ id: v.id, signer: v.signer, power: v.power }));
  const r = run(['proposer', '--validators', file(vals)]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.out as { validators: { id: number; accum: number }[]; proposer: number };
  assert.equal(out.proposer, vectors.mainnetGenesisValidatorSet.proposerId);
  assert.deepEqual(
    out.validators.map((v) => [v.id, v.accum]),
    gen.map((v) => [v.id, v.accumAfterGenesis]),
  );
  const withAccum = gen.map((v) => ({ id: v.id, signer: v.signer, power: v.power, accum: v.accumAfterGenesis }));
  const r2 = run(['proposer', '--validators', file(withAccum), '--times', '1']);
  assert.deepEqual(
    (r2.out as typeof out).validators.map((v) => v.accum),
    [-5, -5, 2, 2, 2, 2, 2],
  );
  assert.equal((r2.out as typeof out).proposer, gen[1]!.id);
  const r3 = run(['proposer', '--validators', file(vals), '--times', '1']);
  assert.deepEqual(r3.out, r2.out);
});

test('audit checkpoint-sigs: vector signature verifies, approves (n = 1) and builds calldata', () => {
  const V = vectors.checkpointSignature;
  const sig = V.r + V.s.slice(2) + '00';
  const other = '0x' + '11'.repeat(20);
  const r = run([
    'checkpoint-sigs',
    '--checkpoint',
    file(V.checkpoint),
    '--sigs',
    file([sig, { signer: other, r: V.r, s: V.s, v: 27 }, '0x' + '00'.repeat(65)]),
    '--validators',
    file([V.address, { signer: other }]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.out as { voteHash: string; valid: string[]; invalid: { index: number; signer?: string; reason: string }[]; approved: boolean; calldata: string; threshold: number };
  assert.equal(out.voteHash, V.voteHash);
  assert.deepEqual(out.valid, [V.address]);
  assert.equal(out.threshold, 2);
  assert.equal(out.approved, false);
  assert.deepEqual(
    out.invalid.map((x) => [x.index, x.reason.split(':')[0]]),
    [
      [1, 'signer mismatch'],
      [2, 'invalid signature'],
    ],
  );
  const iface = new Interface(['function submitCheckpoint(bytes data, uint256[3][] sigs)']);
  const decoded = iface.decodeFunctionData('submitCheckpoint', out.calldata);
  assert.deepEqual(
    decoded[1].map((t: bigint[]) => t.map(String)),
    [[BigInt(V.r).toString(), BigInt(V.s).toString(), '27']],
  );
  const one = run(['checkpoint-sigs', '--checkpoint', file(V.checkpoint), '--sigs', '-', '--validators', file([V.address])], JSON.stringify([sig]));
  assert.equal((one.out as typeof out).approved, true);
});

test('audit: broken input exits non-zero naming what is wrong, never a stack trace', () => {
  assertUserError(run(['checkpoint-root', '--headers', join(dir, 'missing.json')]), /--headers: cannot read .*missing\.json/);
  assertUserError(run(['checkpoint-root', '--headers', file('{not json')]), /--headers: .* is not valid JSON/);
  assertUserError(run(['checkpoint-root', '--headers', file([])]), /--headers: the array is empty/);
  assertUserError(run(['checkpoint-root', '--headers', file([{ ...headers[0], txRoot: '0x1234' }])]), /--headers\[0\]\.txRoot: expected 0x-prefixed 32-byte hex/);
  assertUserError(run(['checkpoint-root', '--headers', file([{ ...headers[0], number: -1 }])]), /--headers\[0\]\.number/);
  assertUserError(run(['account-root', '--accounts', file([{ address: '0x01', fee: 0 }])]), /--accounts\[0\]\.address/);
  assertUserError(run(['account-root', '--accounts', file([{ address: gen[0]!.signer }])]), /--accounts\[0\]: missing "fee"/);
  assertUserError(run(['producers', '--seed', 'abc', '--count', '4', '--validators', file([])]), /--seed/);
  assertUserError(run(['producers', '--seed', vectors.producerSelection.cases[0]!.seed, '--count', 'x', '--validators', file([])]), /--count/);
  assertUserError(
    run(['producers', '--seed', vectors.producerSelection.cases[0]!.seed, '--count', '1', '--validators', file([{ id: 1, signer: gen[0]!.signer, power: 0 }])]),
    /power: must be greater than 0/,
  );
  assertUserError(
    run([
      'proposer',
      '--validators',
      file([
        { id: 1, signer: gen[0]!.signer, power: 1, accum: 0 },
        { id: 2, signer: gen[1]!.signer, power: 1 },
      ]),
    ]),
    /accum/,
  );
  assertUserError(
    run([
      'proposer',
      '--validators',
      file([
        { id: 1, signer: gen[0]!.signer, power: 1 },
        { id: 2, signer: gen[0]!.signer, power: 1 },
      ]),
    ]),
    /appears more than once/,
  );
  assertUserError(run(['proposer', '--validators', file([{ id: 1, signer: gen[0]!.signer, power: 1 }]), '--times', '-3']), /--times/);
  const V = vectors.checkpointSignature;
  assertUserError(run(['checkpoint-sigs', '--checkpoint', file({ ...V.checkpoint, rootHash: 'x' }), '--sigs', file([]), '--validators', file([V.address])]), /--checkpoint\.rootHash/);
  assertUserError(run(['checkpoint-sigs', '--checkpoint', file(V.checkpoint), '--sigs', file(['0x12']), '--validators', file([V.address])]), /--sigs\[0\]/);
  assertUserError(run(['checkpoint-sigs', '--checkpoint', '-', '--sigs', '-', '--validators', file([V.address])]), /only one input/);
});
