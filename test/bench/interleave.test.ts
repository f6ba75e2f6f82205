import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, runInterleaved, type Side } from '../../bench/lib/interleave.ts';

test('median of odd and even counts, unsorted input left as it was', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('runInterleaved: every side runs block k before any side runs block k + 1, the round order rotates, round 0 is not recorded', async () => {
  const log: string[] = [];
  const side = (name: string): Side<string> => ({
    name,
    block: async (k) => {
      log.push(`${name}${k}`);
      return `${name}${k}`;
    },
  });
  const out = await runInterleaved([side('a'), side('b'), side('c')], 3);
  assert.deepEqual(log, ['a0', 'b0', 'c0', 'b1', 'c1', 'a1', 'c2', 'a2', 'b2', 'a3', 'b3', 'c3']);
  assert.deepEqual(out.get('a'), ['a1', 'a2', 'a3']);
  assert.deepEqual(out.get('c'), ['c1', 'c2', 'c3']);
});
