/**
 * Verifying an audit log as an outsider: offline, the hash chain and the batch signatures; online,
 * each anchor down to the root chain:
 *   1. the anchor transaction (Bttc RPC): sent by the log's signer to the AuditAnchor contract with
 *      calldata `anchor(batch, digest)`, successful, its `Anchored` log carrying the digest, in the
 *      canonical block the anchor names;
 *   2. the checkpoint covering that block (root chain RPC): the RootChain header block whose
 *      [start, end] holds it;
 *   3. a Merkle proof of the block's checkpoint leaf (spec §2: keccak256(number ‖ time ‖ txRoot ‖
 *      receiptsRoot)) up to the root the RootChain stores.
 * The first failure is named (record seq, batch number or anchor's batch) and verification stops
 * there, as anything after a broken link cannot be trusted.
 */
import type { HeaderBlock, RootChainReader } from '../audit/interface.ts';
import { headerFromRpcBlock } from '../audit/bttc-blocks.ts';
import type { JsonRpcEndpoint } from '../audit/json-rpc.ts';
import { HEADER_BLOCK_STEP } from '../audit/root-chain.ts';
import { checkpointRoot, leavesFromPreimages, packLeafPreimages, type CheckpointHeader } from '../merkle/checkpoint.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../util/bytes.ts';
import { anchorCalldata, ANCHORED_TOPIC } from './anchor-contract.ts';
import { batchDigest, recoverBatchSigner, type AuditBatch } from './batch.ts';
import { merkleProof, verifyMerkleProof } from './checkpoint-proof.ts';
import type { AnchorState } from './interface.ts';
import { recomputeRecordHash, ZERO_HASH, type AuditRecord } from './record.ts';

/** A node's public log as exported (`audit log --export`, `GET /audit-log/export`). */
export interface LogExport {
  format: 'bttc-audit-log';
  version: 1;
  chainId: number;
  signer: string;
  anchorContract: string | null;
  rootChain?: { id: number; name: string; address: string | null };
  batches: AuditBatch[];
  records: AuditRecord[];
  anchors: AnchorState[];
}

export interface Failure {
  kind: 'record' | 'batch' | 'anchor';
  /** Record seq, or batch number (also for an anchor). */
  id: number;
  reason: string;
}

export interface AnchorProof {
  batch: number;
  digest: string;
  txHash: string;
  block: number;
  blockHash: string;
  /** null: no checkpoint covers the block yet. */
  checkpoint: { headerBlockId: string; start: number; end: number; root: string; leaf: string; leafIndex: number; proof: string[] } | null;
}

export interface VerifyReport {
  ok: boolean;
  signer: string;
  records: number;
  batches: number;
  anchors: { checked: number; covered: number; awaitingCheckpoint: number; notIncluded: number };
  /** The latest anchor verified down to a root-chain header block. */
  latestCovered: AnchorProof | null;
  proofs: AnchorProof[];
  failure: Failure | null;
}

class Fail extends Error {
  readonly failure: Failure;
  constructor(f: Failure) {
    super(`${f.kind} ${f.id}: ${f.reason}`);
    this.failure = f;
  }
}

function fail(kind: Failure['kind'], id: number, reason: string): never {
  throw new Fail({ kind, id, reason });
}

/**
 * A record left out of a package by rule, kept as a link of the chain: its body's hash instead of
 * its body (the record hash is keccak256(prev ‖ bodyHash), so the chain still verifies).
 */
export interface RedactedRecord {
  seq: number;
  prev: string;
  hash: string;
  bodyHash: string;
  redacted: string;
}

export type ChainEntry = AuditRecord | RedactedRecord;

export function isRedacted(r: ChainEntry): r is RedactedRecord {
  return 'redacted' in r;
}

function entryHash(r: ChainEntry): string {
  if (isRedacted(r)) {
    if (!/^0x[0-9a-f]{64}$/.test(r.bodyHash)) throw new Error(`bodyHash ${JSON.stringify(r.bodyHash)} is not 32-byte hex`);
    return bytesToHex(keccak256(concatBytes(hexToBytes(r.prev), hexToBytes(r.bodyHash))));
  }
  return recomputeRecordHash(r);
}

/**
 * Offline: records chain, batches link and are signed by `log.signer`. Throws Fail on the first
 * fault. `partial` (a package): batches need not be consecutive (those that are must link), and
 * records may be redacted links.
 */
export function checkChain(log: { chainId: number; signer: string; batches: AuditBatch[]; records: ChainEntry[] }, opts: { partial?: boolean } = {}): void {
  const bySeq = new Map<number, ChainEntry>();
  for (const r of log.records) {
    if (bySeq.has(r.seq)) fail('record', r.seq, 'appears twice');
    if (!opts.partial && isRedacted(r)) fail('record', r.seq, 'is redacted: a full log holds every record');
    bySeq.set(r.seq, r);
  }
  const signer = log.signer.toLowerCase();
  let prevBatch: AuditBatch | null = null;
  let covered = 0;
  for (const b of log.batches) {
    if (prevBatch && b.batch <= prevBatch.batch) fail('batch', b.batch, `follows batch ${prevBatch.batch}: batches must be in order`);
    if (prevBatch && !opts.partial && b.batch !== prevBatch.batch + 1) fail('batch', b.batch, `follows batch ${prevBatch.batch}: batches must be consecutive`);
    if (b.chainId !== log.chainId) fail('batch', b.batch, `chain id ${b.chainId}, the log's is ${log.chainId}`);
    if (b.lastSeq < b.firstSeq) fail('batch', b.batch, `ends (seq ${b.lastSeq}) before it starts (seq ${b.firstSeq})`);
    if (prevBatch && b.batch === prevBatch.batch + 1) {
      if (b.firstSeq !== prevBatch.lastSeq + 1) fail('batch', b.batch, `starts at seq ${b.firstSeq}, but batch ${prevBatch.batch} ended at ${prevBatch.lastSeq}`);
      if (b.prevDigest !== prevBatch.digest) fail('batch', b.batch, `prevDigest ${b.prevDigest} is not batch ${prevBatch.batch}'s digest ${prevBatch.digest}`);
      if (b.prevHash !== prevBatch.lastHash) fail('batch', b.batch, `prevHash is not batch ${prevBatch.batch}'s last record hash`);
    } else if (b.batch === 0 && (b.prevDigest !== ZERO_HASH || b.prevHash !== ZERO_HASH || b.firstSeq !== 0)) fail('batch', b.batch, 'batch 0 must start at seq 0 with zero prevDigest and prevHash');
    let prev = b.prevHash;
    for (let seq = b.firstSeq; seq <= b.lastSeq; seq++) {
      const r = bySeq.get(seq);
      if (!r) fail('record', seq, `missing from batch ${b.batch} (seq ${b.firstSeq}..${b.lastSeq})`);
      if (r.prev !== prev) fail('record', seq, `prev ${r.prev} is not the previous record's hash ${prev}`);
      let h: string;
      try {
        h = entryHash(r);
      } catch (err) {
        fail('record', seq, `cannot be encoded: ${(err as Error).message}`);
      }
      if (h !== r.hash) fail('record', seq, `content does not match its hash (recomputed ${h}, stored ${r.hash})`);
      prev = h;
      covered++;
    }
    if (b.lastHash !== prev) fail('batch', b.batch, `lastHash ${b.lastHash} is not the hash of record ${b.lastSeq} (${prev})`);
    const digest = bytesToHex(batchDigest(b));
    if (digest !== b.digest) fail('batch', b.batch, `digest ${b.digest} does not match its fields (recomputed ${digest})`);
    if (!/^0x[0-9a-f]{130}$/.test(b.signature)) fail('batch', b.batch, 'signature is not 65 bytes of hex');
    const who = recoverBatchSigner(hexToBytes(digest), hexToBytes(b.signature));
    if (who !== signer || b.signer.toLowerCase() !== signer) fail('batch', b.batch, `signature recovers to ${who ?? 'nothing'}, not the log's signer ${signer}`);
    prevBatch = b;
  }
  if (covered !== bySeq.size) {
    const sealed = new Set<number>();
    for (const b of log.batches) for (let s = b.firstSeq; s <= b.lastSeq; s++) sealed.add(s);
    const stray = [...bySeq.keys()].sort((a, c) => a - c).find((s) => !sealed.has(s));
    fail('record', stray ?? -1, 'is in no sealed batch');
  }
}

/** Anchors: each names a batch of the log with its digest; online, each is checked down to the root chain. */
export async function checkAnchors(
  log: Pick<LogExport, 'signer' | 'anchorContract' | 'batches' | 'anchors'>,
  online: (OnlineDeps & { headers: (s: number, e: number) => Promise<CheckpointHeader[]> }) | null,
  report: Pick<VerifyReport, 'anchors' | 'proofs' | 'latestCovered'>,
): Promise<void> {
  const batches = new Map(log.batches.map((b) => [b.batch, b]));
  for (const a of [...log.anchors].sort((x, y) => x.batch - y.batch)) {
    const b = batches.get(a.batch);
    if (!b) fail('anchor', a.batch, 'anchors a batch the log does not hold');
    if (a.digest !== b.digest) fail('anchor', a.batch, `anchors digest ${a.digest}, but batch ${a.batch}'s digest is ${b.digest}`);
    if (!online) continue;
    const p = await checkAnchor(log, b, a, online, online.headers);
    report.anchors.checked++;
    if (!p) report.anchors.notIncluded++;
    else {
      report.proofs.push(p);
      if (p.checkpoint) {
        report.anchors.covered++;
        report.latestCovered = p;
      } else report.anchors.awaitingCheckpoint++;
    }
  }
}

/** Runs `fn`; a Fail becomes the report's failure, anything else (an endpoint down) propagates. */
export async function catchFailure(fn: () => Promise<void>): Promise<Failure | null> {
  try {
    await fn();
    return null;
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    return err.failure;
  }
}

export interface OnlineDeps {
  bttc: JsonRpcEndpoint;
  root: RootChainReader;
}

interface RpcTx {
  from?: string;
  to?: string | null;
  input?: string;
  blockNumber?: string | null;
  blockHash?: string | null;
}
interface RpcReceipt {
  status?: string;
  blockNumber?: string;
  blockHash?: string;
  logs?: { address: string; topics: string[]; data: string }[];
}

/** Binary search over header blocks 10000, 20000, … for the one whose range holds `n`. */
export async function findCoveringHeaderBlock(root: RootChainReader, n: number): Promise<HeaderBlock | null> {
  const current = await root.currentHeaderBlock();
  let lo = 1n;
  let hi = current / HEADER_BLOCK_STEP;
  while (lo <= hi) {
    const mid = (lo + hi) / 2n;
    const hb = await root.headerBlock(mid * HEADER_BLOCK_STEP);
    if (!hb) return null;
    if (BigInt(n) < hb.start) hi = mid - 1n;
    else if (BigInt(n) > hb.end) lo = mid + 1n;
    else return hb;
  }
  return null;
}

async function checkAnchor(
  log: Pick<LogExport, 'signer' | 'anchorContract'>,
  batch: AuditBatch,
  a: AnchorState,
  deps: OnlineDeps,
  headers: (s: number, e: number) => Promise<CheckpointHeader[]>,
): Promise<AnchorProof | null> {
  const id = a.batch;
  if (a.digest !== batch.digest) fail('anchor', id, `anchors digest ${a.digest}, but batch ${id}'s digest is ${batch.digest}`);
  if (!a.block) return null;
  if (!log.anchorContract) fail('anchor', id, 'the log names no AuditAnchor contract');
  const [tx, receipt] = (await deps.bttc.batch([
    { method: 'eth_getTransactionByHash', params: [a.txHash] },
    { method: 'eth_getTransactionReceipt', params: [a.txHash] },
  ])) as [RpcTx | null, RpcReceipt | null];
  if (!tx || !receipt) fail('anchor', id, `transaction ${a.txHash} is not on the Bttc chain at ${deps.bttc.url}`);
  if (tx.from?.toLowerCase() !== log.signer.toLowerCase()) fail('anchor', id, `transaction ${a.txHash} was sent by ${tx.from}, not the log's signer ${log.signer}`);
  if (tx.to?.toLowerCase() !== log.anchorContract.toLowerCase()) fail('anchor', id, `transaction ${a.txHash} goes to ${tx.to}, not the AuditAnchor ${log.anchorContract}`);
  if (tx.input?.toLowerCase() !== anchorCalldata(batch.batch, batch.digest)) fail('anchor', id, `transaction ${a.txHash} does not anchor batch ${batch.batch} with digest ${batch.digest}`);
  if (receipt.status !== '0x1') fail('anchor', id, `transaction ${a.txHash} failed on Bttc (status ${receipt.status})`);
  const log0 = receipt.logs?.find((l) => l.address.toLowerCase() === log.anchorContract!.toLowerCase() && l.topics[0] === ANCHORED_TOPIC);
  if (!log0 || log0.data.toLowerCase() !== batch.digest) fail('anchor', id, `transaction ${a.txHash} emitted no Anchored event with the digest`);
  const n = Number(BigInt(receipt.blockNumber ?? '0x0'));
  if (n !== a.block.number || receipt.blockHash?.toLowerCase() !== a.block.hash)
    fail('anchor', id, `transaction ${a.txHash} is in block ${n} ${receipt.blockHash}, the log says ${a.block.number} ${a.block.hash}`);
  const blk = (await deps.bttc.call('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])) as { hash?: string; transactions?: string[] } | null;
  if (!blk || blk.hash?.toLowerCase() !== a.block.hash) fail('anchor', id, `block ${n} ${a.block.hash} is not canonical on the Bttc chain (it is ${blk?.hash ?? 'missing'})`);
  if (!blk.transactions?.map((t) => t.toLowerCase()).includes(a.txHash)) fail('anchor', id, `block ${n} does not list transaction ${a.txHash}`);
  const own = headerFromRpcBlock(blk, n, deps.bttc.url);
  const proof: AnchorProof = { batch: id, digest: batch.digest, txHash: a.txHash, block: n, blockHash: a.block.hash, checkpoint: null };
  const hb = await findCoveringHeaderBlock(deps.root, n);
  if (!hb) return proof;
  const range = await headers(Number(hb.start), Number(hb.end));
  const leaves = leavesFromPreimages(packLeafPreimages(range));
  const index = n - Number(hb.start);
  const leaf = leaves.slice(index * 32, index * 32 + 32);
  const ownLeaf = leavesFromPreimages(packLeafPreimages([own]));
  if (bytesToHex(leaf) !== bytesToHex(ownLeaf)) fail('anchor', id, `block ${n}'s checkpoint leaf differs between the range and the block itself`);
  const siblings = merkleProof(leaves, index);
  if (!verifyMerkleProof(leaf, index, siblings, hexToBytes(hb.root))) {
    fail('anchor', id, `block ${n} is not in header block ${hb.id}'s root ${hb.root} (the Bttc blocks ${hb.start}..${hb.end} give ${bytesToHex(checkpointRoot(range))})`);
  }
  proof.checkpoint = { headerBlockId: hb.id.toString(), start: Number(hb.start), end: Number(hb.end), root: hb.root, leaf: bytesToHex(leaf), leafIndex: index, proof: siblings.map(bytesToHex) };
  return proof;
}

/** Verifies a log (offline, and online when `online` is given). Never throws for a bad log: the report names the failure. */
export async function verifyLog(log: LogExport, online: (OnlineDeps & { headers: (s: number, e: number) => Promise<CheckpointHeader[]> }) | null): Promise<VerifyReport> {
  const report: VerifyReport = {
    ok: false,
    signer: log.signer,
    records: log.records.length,
    batches: log.batches.length,
    anchors: { checked: 0, covered: 0, awaitingCheckpoint: 0, notIncluded: 0 },
    latestCovered: null,
    proofs: [],
    failure: null,
  };
  report.failure = await catchFailure(async () => {
    checkChain(log);
    await checkAnchors(log, online, report);
  });
  report.ok = report.failure === null;
  return report;
}
