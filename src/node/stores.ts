/**
 * The node's data dir: its LevelDB stores, opened strictly once the dir has been initialised, and
 * its manifest (`datadir.json`, written after the first successful start) that says so. Without the
 * manifest a deleted CURRENT file or a removed store would silently open as a new, empty database
 * and the node would start over from genesis on a damaged dir.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChainStore } from '../chain/store.ts';
import { verifyChainIntegrity } from '../chain/integrity.ts';
import { LevelOpenError, LevelStore } from '../db/level.ts';
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import { bytesToHex } from '../util/bytes.ts';
import { NodeStartError } from './errors.ts';

interface Manifest {
  version: 1;
  network: string;
  genesisHash: string;
  createdAt: string;
}

/** Blocks re-hashed back from the head at every start (a few ms per hundred). */
const INTEGRITY_DEPTH = 256;

export interface NodeStores {
  chainDb: LevelStore;
  chain: ChainStore;
  db: LevelStore;
  /** After the chain is initialised: checks it against its records and the executor's state, writes the manifest on first start. */
  verify(deps: { hasState(root: Uint8Array): Promise<boolean>; network: string }): Promise<void>;
}

function manifestPath(dataDir: string): string {
  return join(dataDir, 'datadir.json');
}

export async function openNodeStores(dataDir: string, deps: { logger: Logger; metrics: Registry; onClose: (name: string, close: () => Promise<void> | void) => void }): Promise<NodeStores> {
  const manifestFile = manifestPath(dataDir);
  const initialised = existsSync(manifestFile);
  const open = (name: string) =>
    LevelStore.open(join(dataDir, name), { createIfMissing: !initialised }).catch((err: unknown) => {
      throw err instanceof LevelOpenError ? new NodeStartError(err.message) : err;
    });
  const chainDb = await open('chain');
  const chain = new ChainStore({}, { db: chainDb, metrics: deps.metrics, logger: deps.logger });
  deps.onClose('chain store', async () => {
    await chain.close().catch(() => undefined);
    await chainDb.close().catch(() => undefined);
  });
  const db = await open('node');
  deps.onClose('node db', () => db.close());
  return {
    chainDb,
    chain,
    db,
    async verify({ hasState, network }) {
      const genesisHash = bytesToHex(chain.genesisHash());
      if (initialised) {
        const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
        if (m.genesisHash !== genesisHash) throw new NodeStartError(`${dataDir}: its manifest names genesis ${m.genesisHash}, but the chain store holds ${genesisHash}`);
      }
      const t0 = performance.now();
      try {
        const { checked } = await verifyChainIntegrity({ chain, hasState }, { depth: INTEGRITY_DEPTH, where: `chain store ${join(dataDir, 'chain')}` });
        deps.logger.info({ blocks: checked, ms: Math.round(performance.now() - t0) }, 'chain store checked against its headers and state');
      } catch (err) {
        throw new NodeStartError((err as Error).message);
      }
      if (!initialised) {
        const m: Manifest = { version: 1, network, genesisHash, createdAt: new Date().toISOString() };
        writeFileSync(`${manifestFile}.tmp`, `${JSON.stringify(m, null, 2)}\n`);
        renameSync(`${manifestFile}.tmp`, manifestFile);
      }
    },
  };
}
