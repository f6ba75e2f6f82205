/**
 * The audit log's REST routes (mounted on the Delivery REST port, in its `{"height","result"}`
 * envelope). Only the public stream is served.
 *
 *   GET /audit-log/status                          AuditStatus: latest seq, batch, anchored batch
 *                                                  (Bttc tx/block) and the checkpoint covering it
 *   GET /audit-log/records?from=SEQ&limit=N        public records from seq (limit 1..1000, default 100)
 *   GET /audit-log/batches?from=BATCH&limit=N      sealed public batches (limit 1..1000, default 100)
 *   GET /audit-log/export?from=BATCH&limit=N       a LogExport of batches [from, from+limit) with
 *                                                  their records and anchors (limit 1..256, default 64),
 *                                                  what `bttc-node audit log --export FILE` verifies
 */
import type { GoJsonValue } from '../protocol/delivery-rest/go-json.ts';
import { HttpError } from '../delivery/rest/http-error.ts';
import type { RestRequest, RestRoute } from '../delivery/rest/interface.ts';
import type { AuditStatus } from './interface.ts';
import type { LogExport } from './verify.ts';

export interface AuditLogRestSource {
  status(): Promise<AuditStatus>;
  records(from: number, limit: number): Promise<unknown[]>;
  batches(from: number, limit: number): Promise<unknown[]>;
  exportBatches(from: number, limit: number): Promise<LogExport>;
}

function intParam(req: RestRequest, name: string, dflt: number, min: number, max: number): number {
  const raw = req.url.searchParams.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new HttpError(400, `${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

const json = (v: unknown): GoJsonValue => v as GoJsonValue;

export function auditLogRoutes(src: AuditLogRestSource | null): RestRoute[] {
  const need = (): AuditLogRestSource => {
    if (!src) throw new HttpError(404, 'this node keeps no audit log: it is a follower (no signer key to sign batches with)');
    return src;
  };
  return [
    { path: '/audit-log/status', handle: async () => json(await need().status()) },
    { path: '/audit-log/records', handle: async (req) => json(await need().records(intParam(req, 'from', 0, 0, Number.MAX_SAFE_INTEGER), intParam(req, 'limit', 100, 1, 1000))) },
    { path: '/audit-log/batches', handle: async (req) => json(await need().batches(intParam(req, 'from', 0, 0, Number.MAX_SAFE_INTEGER), intParam(req, 'limit', 100, 1, 1000))) },
    { path: '/audit-log/export', handle: async (req) => json(await need().exportBatches(intParam(req, 'from', 0, 0, Number.MAX_SAFE_INTEGER), intParam(req, 'limit', 64, 1, 256))) },
  ];
}
