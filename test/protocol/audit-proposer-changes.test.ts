/**
 * `audit proposer --changes`: Delivery's UpdateWithChangeSet and increments, step by step. The
 * expected priorities are worked out by hand from the rules (a new validator enters at
 * −(total + total/8); priorities are rescaled to a window of 2·total and centred on their average,
 * Go's truncating division; an increment adds each power, and the highest priority — lowest
 * address on ties — proposes and pays the total).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'audit-changes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(v: unknown): string {
  const f = join(dir, `${n++}.json`);
  writeFileSync(f, JSON.stringify(v));
  return f;
}
function run(args: string[]): { code: number | null; out: unknown; err: string } {
  const r = spawnSync(process.execPath, [MAIN, 'audit', 'proposer', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.status === 0 ? JSON.parse(r.stdout) : null, err: r.stderr };
}
const addr = (i: number) => `0x${String(i).repeat(1)}${'0'.repeat(38)}${i}`;
const three = [1, 2, 3].map((id) => ({ id, signer: addr(id), power: 1 }));
type Out = { validators: { id: number; accum: number }[]; proposer: number };
const accums = (o: Out) => o.validators.map((v) => [v.id, v.accum]);

test('add, increment, remove: the set after every step', () => {
  const changes = [{ update: [{ id: 4, signer: addr(4), power: 1 }] }, { increment: 1 }, { update: [{ id: 2, signer: addr(2), power: 0 }] }];
  const r = run(['--validators', file(three), '--changes', file(changes), '--each']);
  assert.equal(r.code, 0, r.err);
  const steps = r.out as Out[];
  // Genesis (one increment): [-2, 1, 1]. Add 4: it enters at −4, average −1 → [−1, 2, 2, −3].
  assert.deepEqual(accums(steps[0]!), [
    [1, -1],
    [2, 2],
    [3, 2],
    [4, -3],
  ]);
  // Increment: [0, 3, 3, −2]; 2 and 3 tie, the lower address (2) proposes and pays 4.
  assert.deepEqual(accums(steps[1]!), [
    [1, 0],
    [2, -1],
    [3, 3],
    [4, -2],
  ]);
  assert.equal(steps[1]!.proposer, 2);
  // Remove 2: [0, 3, −2], average 1/3 truncates to 0.
  assert.deepEqual(accums(steps[2]!), [
    [1, 0],
    [3, 3],
    [4, -2],
  ]);
  // Without --each: only the last.
  const last = run(['--validators', file(three), '--changes', file(changes)]);
  assert.deepEqual(last.out, steps[2]);
});

test('a power change keeps the priority and rescales; --times runs before the changes', () => {
  const r = run(['--validators', file(three), '--times', '2', '--changes', file([{ update: [{ id: 3, signer: addr(3), power: 10 }] }])]);
  assert.equal(r.code, 0, r.err);
  // Genesis [−2,1,1] then 2 increments: [−1,2,2]→2 proposes [−1,−1,2]; [0,0,3]→3 proposes [0,0,0].
  // Power of 3 → 10: priorities unchanged [0,0,0], total 12, average 0.
  assert.deepEqual(accums(r.out as Out), [
    [1, 0],
    [2, 0],
    [3, 0],
  ]);
});

test('bad steps name the step and the field', () => {
  const cases: [unknown, RegExp][] = [
    [[{ update: [{ id: 9, signer: addr(9), power: 0 }] }], /--changes\[0\]: failed to find validator/],
    [[{ increment: 1 }, { remove: 1 }], /--changes\[1\]: expected \{"update":\[…\]\} or \{"increment":k\}/],
    [[{ update: [] }], /--changes\[0\]\.update: the array is empty/],
    [[{ update: [1, 2, 3].map((id) => ({ id, signer: addr(id), power: 0 })) }], /--changes\[0\]: applying the validator changes would result in an empty set/],
    [[{ increment: -1 }], /--changes\[0\]/],
  ];
  for (const [changes, re] of cases) {
    const r = run(['--validators', file(three), '--changes', file(changes)]);
    assert.notEqual(r.code, 0, JSON.stringify(changes));
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /at .*\.ts:\d+/, 'no stack trace');
  }
});
