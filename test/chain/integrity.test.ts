/**
 * A damaged data dir is detected and named at start, never opened as something else: bytes changed
 * in a LevelDB table file (LevelDB does not verify block checksums on reads, so the damage reads
 * back as different data), a missing state root, and a deleted CURRENT file in a data dir that was
 * initialised (LevelDB would otherwise create an empty database in its place).
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { verifyChainIntegrity, StoreIntegrityError } from '../../src/chain/integrity.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { LevelOpenError, LevelStore } from '../../src/db/level.ts';
import { encodeHeader, orderedTrieRoot } from '../../src/evm/block.ts';
import type { HeaderFields } from '../../src/evm/interface.ts';
import { openNodeStores } from '../../src/node/stores.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { tempDir } from '../helpers/tmp.ts';
import { genesisHeader, makeBlock } from './fixtures/blocks.ts';

const BLOCKS = 40;
/** The fixture genesis with the empty transaction root a real genesis has. */
const genesis = (): HeaderFields => ({ ...genesisHeader(), txRoot: orderedTrieRoot([]) });

/** A chain whose headers carry their real transaction roots (the fixture's are placeholders). */
async function buildChain(path: string): Promise<HeaderFields[]> {
  const db = await LevelStore.open(path);
  const chain = new ChainStore({}, { db });
  let parent = (await chain.init(genesis())).header;
  const headers = [parent];
  for (let i = 0; i < BLOCKS; i++) {
    const b = makeBlock(parent, 3);
    const header = { ...b.header, txRoot: orderedTrieRoot(b.txs) };
    await chain.putBlock({ ...b, header }, { setHead: true });
    headers.push(header);
    parent = header;
  }
  await chain.close();
  await db.close();
  // Move everything from LevelDB's log into table files, where reads do not check checksums
  // (uncompressed, so the test can find a header's bytes in them).
  const raw = new ClassicLevel(path, { compression: false });
  await raw.open();
  await raw.compactRange('\x00', '\xff', { keyEncoding: 'binary' } as never);
  await raw.close();
  return headers;
}

async function check(path: string, hasState = true): Promise<void> {
  const db = await LevelStore.open(path, { createIfMissing: false });
  try {
    const chain = new ChainStore({}, { db });
    await chain.init(genesis());
    await verifyChainIntegrity({ chain, hasState: async () => hasState }, { depth: 256, where: 'test chain' });
  } finally {
    await db.close();
  }
}

test('an intact chain passes; a missing head state is named', async (t) => {
  const dir = join(tempDir(t, 'integrity'), 'chain');
  await buildChain(dir);
  await check(dir);
  await assert.rejects(check(dir, false), (e: unknown) => e instanceof StoreIntegrityError && /state of the head block 40 .* is missing/.test((e as Error).message));
});

test('a changed byte inside a stored header is caught, whichever header it hits', async (t) => {
  const base = tempDir(t, 'integrity-bytes');
  const headers = await buildChain(join(base, 'chain'));
  for (const n of [BLOCKS, BLOCKS - 7, 5]) {
    const copy = join(base, `copy-${n}`);
    cpSync(join(base, 'chain'), copy, { recursive: true });
    // The header's own encoding, found in the table file and changed in its gasUsed byte.
    const needle = Buffer.from(encodeHeader(headers[n]!));
    let hit = false;
    for (const f of readdirSync(copy).filter((x) => x.endsWith('.ldb'))) {
      const buf = readFileSync(join(copy, f));
      const at = buf.indexOf(needle);
      if (at < 0) continue;
      buf[at + needle.length - 60]! ^= 0x01;
      writeFileSync(join(copy, f), buf);
      hit = true;
    }
    assert.ok(hit, `block ${n}'s header is in a table file`);
    await assert.rejects(check(copy), (e: unknown) => e instanceof Error && /damaged|corrupt/.test((e as Error).message) && /block \d+/.test((e as Error).message), `block ${n}`);
  }
});

test('an initialised data dir whose store lost its CURRENT file refuses to start instead of opening empty', async (t) => {
  const dataDir = tempDir(t, 'integrity-datadir');
  const logger = createLogger({ name: 'test', level: 'silent' });
  const closers: (() => Promise<void> | void)[] = [];
  const deps = { logger, metrics: createMetricsRegistry(), onClose: (_n: string, c: () => Promise<void> | void) => closers.push(c) };
  const first = await openNodeStores(dataDir, deps);
  await first.chain.init(genesis());
  await first.verify({ hasState: async () => true, network: 'test' });
  for (const c of closers.reverse()) await c();
  closers.length = 0;
  rmSync(join(dataDir, 'chain', 'CURRENT'));
  await assert.rejects(openNodeStores(dataDir, deps), (e: unknown) => /chain is missing or lost its CURRENT file/.test((e as Error).message));
  for (const c of closers.reverse()) await c();
  await assert.rejects(LevelStore.open(join(dataDir, 'chain'), { createIfMissing: false }), LevelOpenError);
});
