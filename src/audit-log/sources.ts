/**
 * Where `audit log` and `evidence export` read a log from: a stopped node's data dir, a running
 * node's REST port, or an export file; and the online endpoints the anchors are checked against.
 * Errors are AuditErrors naming the flag or the endpoint (exit 2: the audit could not be done).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError } from '../audit/interface.ts';
import { BttcRpcBlocks } from '../audit/bttc-blocks.ts';
import { DeliveryRest } from '../audit/delivery-rest.ts';
import { HttpEndpoint } from '../audit/http.ts';
import { JsonRpcEndpoint } from '../audit/json-rpc.ts';
import { EvmRootChainReader } from '../audit/root-chain.ts';
import { LevelStore } from '../db/level.ts';
import { parseRecord } from './record.ts';
import { AuditLogService, readIdentity } from './service.ts';
import { AuditStore } from './store.ts';
import type { LogExport, OnlineDeps } from './verify.ts';
import type { CheckpointHeader } from '../merkle/checkpoint.ts';

/** Opens DIR/node read for the audit log; the node must be stopped (LevelDB allows one process). */
export async function withDataDirLog<T>(dataDir: string, fn: (service: AuditLogService) => Promise<T>): Promise<T> {
  let db: LevelStore;
  try {
    db = await LevelStore.open(join(dataDir, 'node'), { createIfMissing: false });
  } catch (err) {
    throw new AuditError(`--datadir ${dataDir}: ${(err as Error).message}${/held by another process/.test((err as Error).message) ? ' (stop the node, or read its log over REST with --rest)' : ''}`);
  }
  try {
    const store = new AuditStore(db);
    const identity = await readIdentity(store);
    if (!identity) throw new AuditError(`--datadir ${dataDir}: no audit log in this data dir (a follower keeps none, and a validator writes one from its first start)`);
    return await fn(new AuditLogService(identity, { store }));
  } finally {
    await db.close();
  }
}

export function exportFromDataDir(dataDir: string): Promise<LogExport> {
  return withDataDirLog(dataDir, (s) => s.exportAll());
}

/** Pages of `GET /audit-log/export` from a running node until its last batch. */
export async function exportFromRest(url: string): Promise<LogExport> {
  const rest = new DeliveryRest(new HttpEndpoint(url, { flag: '--rest' }));
  let out: LogExport | null = null;
  for (let from = 0; ; ) {
    const page = await rest.get(`/audit-log/export?from=${from}&limit=256`);
    if (!page) throw new AuditError(`--rest ${url}: no /audit-log/export (not a bttc-node, or a follower that keeps no log)`);
    const part = parseExport(page.result, `--rest ${url}`);
    if (!out) out = part;
    else {
      out.batches.push(...part.batches);
      out.records.push(...part.records);
      out.anchors.push(...part.anchors);
    }
    if (part.batches.length < 256) return out;
    from = part.batches[part.batches.length - 1]!.batch + 1;
  }
}

export function exportFromFile(path: string): LogExport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuditError(`--export: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AuditError(`--export: ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseExport(raw, `--export ${path}`);
}

/** Checks the shape of an export (the contents are what verification judges). */
export function parseExport(raw: unknown, where: string): LogExport {
  const o = raw as Partial<LogExport> | null;
  if (!o || typeof o !== 'object' || o.format !== 'bttc-audit-log') throw new AuditError(`${where}: not an audit-log export (format must be "bttc-audit-log")`);
  if (o.version !== 1) throw new AuditError(`${where}: export version ${JSON.stringify(o.version)} is not supported (this tool reads version 1)`);
  if (!Number.isSafeInteger(o.chainId)) throw new AuditError(`${where}: chainId must be an integer`);
  if (typeof o.signer !== 'string' || !/^0x[0-9a-f]{40}$/.test(o.signer)) throw new AuditError(`${where}: signer must be a lower-case 0x address`);
  for (const k of ['batches', 'records', 'anchors'] as const) if (!Array.isArray(o[k])) throw new AuditError(`${where}: ${k} must be an array`);
  o.records!.forEach((r, i) => {
    try {
      parseRecord(r, `${where}: records[${i}]`);
    } catch (err) {
      throw new AuditError((err as Error).message);
    }
  });
  return o as LogExport;
}

export interface OnlineOptions {
  rpc: string;
  root: string;
  rootChainAddress: string;
}

/** The Bttc JSON-RPC and the root chain's RootChain contract, as the verifier reads them. */
export function onlineDeps(o: OnlineOptions): OnlineDeps & { headers: (s: number, e: number) => Promise<CheckpointHeader[]> } {
  const bttc = new JsonRpcEndpoint(new HttpEndpoint(o.rpc, { flag: '--rpc' }));
  const root = new EvmRootChainReader(new JsonRpcEndpoint(new HttpEndpoint(o.root, { flag: '--root' })), o.rootChainAddress, 'root chain');
  const blocks = new BttcRpcBlocks(bttc);
  return { bttc, root, headers: (s, e) => blocks.headers(s, e) };
}
