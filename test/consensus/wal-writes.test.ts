/**
 * What the consensus WAL costs per height on a real file: a validator that decides heights through
 * the engine issues at most one durable file operation per vote it signs (prevote; precommit with
 * its lock), and the height's end rides with the next one. Counted on Node's FileHandle itself
 * (every `write` and `datasync` the log makes), so the count does not trust the WAL's own word;
 * durability of each write is checked on the open file's flags (O_DSYNC, /proc/self/fdinfo).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleNodeHarness } from '../../src/delivery/consensus/sim/scripted.ts';
import { FileWal } from '../../src/delivery/consensus/wal.ts';
import { valueIdOf } from '../../src/delivery/consensus/codec.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import { tempDir } from '../helpers/tmp.ts';

/** Counts FileHandle writes and datasyncs while `fn` runs. */
async function countingFileOps<T>(dir: string, fn: () => Promise<T>): Promise<{ writes: number; syncs: number; out: T }> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const write = proto.write;
  const datasync = proto.datasync;
  const sync = proto.sync;
  let writes = 0;
  let syncs = 0;
  // biome-ignore lint/suspicious/noExplicitAny: FileHandle.write is overloaded; we only forward the call.
  (proto as any).write = function (this: FileHandle, ...args: unknown[]) {
    writes++;
    return (write as (...a: unknown[]) => unknown).apply(this, args);
  };
  proto.datasync = function (this: FileHandle) {
    syncs++;
    return datasync.call(this);
  };
  proto.sync = function (this: FileHandle) {
    syncs++;
    return sync.call(this);
  };
  try {
    const out = await fn();
    return { writes, syncs, out };
  } finally {
    proto.write = write;
    proto.datasync = datasync;
    proto.sync = sync;
  }
}

/** Flags of this process's open descriptor for `path` (from /proc/self/fdinfo), or null. */
function openFlags(path: string): number | null {
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== path) continue;
      const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (m) return Number.parseInt(m[1]!, 8);
    } catch {
      // closed meanwhile
    }
  }
  return null;
}

const HEIGHTS = 6;

test('a decided height costs at most two durable WAL writes, each on an O_DSYNC descriptor', { skip: !existsSync('/proc/self/fdinfo') && 'needs /proc' }, async (t) => {
  const dir = tempDir(t, 'wal-writes');
  const path = join(dir, 'consensus.wal');
  const wal = await FileWal.open(path);
  const h = new SingleNodeHarness({ validators: 4, seed: 3, wal });
  await h.state.start();
  await h.settle();
  const { writes, syncs } = await countingFileOps(dir, async () => {
    for (let height = 1; height <= HEIGHTS; height++) {
      const p0 = h.proposerIndex(height, 0);
      let value: Uint8Array;
      if (p0 === h.self) {
        const own = h.transport.messages().find((m) => m.kind === 'proposal' && m.proposal.height === height);
        assert.ok(own?.kind === 'proposal', `the engine proposed height ${height}`);
        value = own.proposal.value;
      } else {
        value = h.value(height, 0, p0);
        await h.deliver(h.proposal(p0, height, 0, value));
      }
      const id = valueIdOf(value);
      const [a, b] = h.peers();
      await h.deliver(h.vote(a!, MsgType.Prevote, height, 0, id), h.vote(b!, MsgType.Prevote, height, 0, id));
      await h.deliver(h.vote(a!, MsgType.Precommit, height, 0, id), h.vote(b!, MsgType.Precommit, height, 0, id));
      assert.equal(h.state.height, height + 1, `height ${height} decided`);
    }
  });
  const proposals = Array.from({ length: HEIGHTS }, (_, i) => i + 1).filter((height) => h.proposerIndex(height, 0) === h.self).length;
  // Per height: prevote, precommit (+ lock), own proposal when proposing; the height's end is staged.
  // The old log made a write and a datasync per record, lock and end included: 8 per height.
  const ops = writes + syncs;
  assert.ok(ops <= 2 * HEIGHTS + proposals, `${writes} writes + ${syncs} syncs for ${HEIGHTS} heights (${proposals} own proposals)`);
  const flags = openFlags(path);
  assert.ok(flags !== null, 'the WAL is open');
  assert.equal(flags & constants.O_DSYNC, constants.O_DSYNC, `the WAL's descriptor is O_DSYNC (flags ${flags.toString(8)})`);
  // Every record is on disk once the log is closed, locks and height ends included, in order.
  await h.state.stop();
  await wal.close();
  const back = await FileWal.open(path);
  const kinds = (await back.readAll()).map((r) => r.type);
  await back.close();
  assert.equal(kinds.filter((k) => k === 'lock').length, HEIGHTS, 'one lock per height');
  assert.equal(kinds.filter((k) => k === 'end-height').length, HEIGHTS, 'one end per height');
  assert.equal(kinds.filter((k) => k === 'message').length, 2 * HEIGHTS + proposals);
  assert.equal(kinds.indexOf('lock') < kinds.indexOf('end-height'), true);
});
