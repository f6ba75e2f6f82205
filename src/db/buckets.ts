/**
 * Every key prefix of every store the node writes, in one table. A key is `bucket ‖ suffix`; the
 * bucket is one byte naming the record kind (Lodestar's convention), so a range scan never crosses
 * kinds and a new record kind is one new line here. `test/db/buckets.test.ts` checks that no two
 * record kinds share a byte, so stores that share one LevelDB (the node db: Delivery, Bttc engine,
 * txpool, consensus evidence, watchers) can never overwrite each other.
 *
 * Stores on disk (below the node's data dir):
 *   chain/  the Bttc chain store (src/chain)
 *   node/   Delivery state and records, consensus evidence, root-chain watcher cursors, Bor snapshots, txpool
 *   state/  the executor's trie nodes and code (src/evm/stateDb.ts), content-addressed
 * The consensus WAL is a flat file (consensus.wal) framed by src/delivery/consensus/wal.ts, not a store.
 */

export type StoreName = 'chain' | 'node' | 'state';

export interface Bucket {
  /** The prefix byte. */
  readonly id: number;
  /** Which LevelDB it lives in. */
  readonly store: StoreName;
  /** The module that owns the records (the only one that reads or writes them). */
  readonly owner: string;
  /** What one record is, key → value. */
  readonly holds: string;
}

function bucket(id: number, store: StoreName, owner: string, holds: string): Bucket {
  return Object.freeze({ id, store, owner, holds });
}

export const BUCKETS = {
  // ---- executor state (state/) --------------------------------------------------------------------
  stateMeta: bucket(0x6d, 'state', 'evm/stateDb', "name (UTF-8) → executor metadata, e.g. genesisRoot ('m')"),
  stateNode: bucket(0x6e, 'state', 'evm/stateDb', "trie-node or code hash (32) → node or code bytes ('n')"),

  // ---- root-chain watchers (node/) ----------------------------------------------------------------
  watcherCursor: bucket(0x52, 'node', 'root/watcher', 'root chain id (u64) → cursor JSON {"block":n,"lastSequence":"s"}'),

  // ---- Bttc engine and txpool (node/) -------------------------------------------------------------
  borSnapshot: bucket(0xb0, 'node', 'bttc/engine/snapshot', 'sprint-end block hash (32) → number (u64) ‖ serialized producer set'),
  txpoolTx: bucket(0xb1, 'node', 'bttc/txpool/store', 'tx hash (32) → sender (20) ‖ seq (u64) ‖ raw tx'),
  txpoolMeta: bucket(0xb2, 'node', 'bttc/txpool/store', 'name → txpool metadata (reserved: nothing writes it yet)'),

  // ---- Bttc chain (chain/) ------------------------------------------------------------------------
  chainHeader: bucket(0xc0, 'chain', 'chain/store', 'block hash (32) → RLP header'),
  chainBody: bucket(0xc1, 'chain', 'chain/store', 'block hash (32) → RLP [txs, senders (20 bytes each, concatenated)]'),
  chainReceipts: bucket(0xc2, 'chain', 'chain/store', 'block hash (32) → RLP [[consensus receipt, gas used, [contract address]?], …]'),
  chainTotalDifficulty: bucket(0xc3, 'chain', 'chain/store', 'block hash (32) → total difficulty (minimal big-endian)'),
  chainCanonical: bucket(0xc4, 'chain', 'chain/store', 'number (u64) → canonical block hash'),
  chainTxIndex: bucket(0xc5, 'chain', 'chain/store', 'tx hash (32) → block hash (32) ‖ number (u64) ‖ index (u32)'),
  chainAddressLog: bucket(0xc6, 'chain', 'chain/store', 'address (20) ‖ number (u64) → 0x01: a canonical block has a log by the address'),
  chainMeta: bucket(0xcf, 'chain', 'chain/store', '0x01 → head hash, 0x02 → genesis hash'),

  // ---- Delivery consensus (node/) -----------------------------------------------------------------
  consensusEvidence: bucket(0xd0, 'node', 'delivery/consensus/evidence', 'height (u64) ‖ round (u32) ‖ step (u8) ‖ validator → u32 len ‖ vote A ‖ u32 len ‖ vote B'),

  // ---- Delivery application (node/) ---------------------------------------------------------------
  deliveryMeta: bucket(0xe0, 'node', 'delivery/app', 'name → committed state'),
  deliveryBlock: bucket(0xe1, 'node', 'delivery/app', 'height → block bytes'),
  deliveryProcessed: bucket(0xe2, 'node', 'delivery/app', 'kind ‖ root chain ‖ sequence → processed marker'),
  deliveryCheckpoint: bucket(0xe3, 'node', 'delivery/modules/checkpoint', 'root chain ‖ number → acked checkpoint'),
  deliverySpan: bucket(0xe4, 'node', 'delivery/modules/span', 'span id → span'),
  deliveryEventRecord: bucket(0xe5, 'node', 'delivery/modules/clerk', 'record id → state-sync event record'),
  deliveryPool: bucket(0xe6, 'node', 'delivery/app', 'root chain ‖ tx type ‖ sequence → mirrored root event'),
  deliveryCommit: bucket(0xe7, 'node', 'delivery/app', 'height → the commit that decided it'),
  deliveryCheckpointSync: bucket(0xe8, 'node', 'delivery/modules/checkpoint', 'root chain ‖ number → checkpoint synced to the staking chain (CheckpointSyncAck)'),
  deliveryValidatorStake: bucket(0xf1, 'node', 'delivery/modules/staking', 'validator id (u64) → stake record JSON (self, delegated, commission, partners)'),
  deliveryDelegation: bucket(0xf2, 'node', 'delivery/modules/staking', 'delegator (20) ‖ validator id (u64) → delegation record JSON'),
  deliveryValidatorDelegator: bucket(0xf3, 'node', 'delivery/modules/staking', 'validator id (u64) ‖ delegator (20) → 0x01: the address has delegated to the validator'),
  // Governance (issue 18): the ballot streams and the approved tallies.
  deliveryGovBallot: bucket(0xf8, 'node', 'delivery/modules/gov', 'proposal id (32; zero: unattributed) ‖ index (u32) → ballot JSON as included, height, refusal at inclusion'),
  deliveryGovTally: bucket(0xf9, 'node', 'delivery/modules/gov', 'proposal id (32) → approved tally JSON (record, signatures, counted ballots, refusals, anchoring)'),
  slashingRecord: bucket(0x19, 'node', 'delivery/modules/slashing', 'evidence id (32) → slash record JSON (offense, status, penalty, evidence)'),

  // ---- chain-derived validator telemetry (node/) --------------------------------------------------
  telemetryFacts: bucket(0x70, 'node', 'telemetry/store', "Delivery height (u64) → JSON: the height's telemetry facts and, once the next height committed, its record"),
  telemetryTotals: bucket(0x71, 'node', 'telemetry/store', "name (UTF-8) → JSON cumulative totals ('delivery', 'bttc')"),

  // ---- audit log (node/) --------------------------------------------------------------------------
  auditRecord: bucket(0xa0, 'node', 'audit-log', 'stream (u8) ‖ seq (u64) → record JSON (body, prev, hash)'),
  auditBatch: bucket(0xa1, 'node', 'audit-log', 'stream (u8) ‖ batch (u64) → sealed batch JSON (digest, signature)'),
  auditAnchor: bucket(0xa2, 'node', 'audit-log', 'batch (u64) → anchor JSON (Bttc tx, nonce, block)'),
  auditMeta: bucket(0xa3, 'node', 'audit-log', 'name (UTF-8) → JSON (stream heads, config hash)'),
} as const satisfies Record<string, Bucket>;

export type BucketName = keyof typeof BUCKETS;
