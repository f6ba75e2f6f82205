/**
 * Bttc's state syncs from a remote Delivery over REST, as Bor's FetchStateSyncEvents and
 * CommitStates read them: `clerk/event-record/list?from-id=F&to-time=T&limit=50`, page after page
 * while a page is full (F += 50), sorted by id; then a record is taken only while it is the next id
 * (last + 1), carries our chain id as a string, and was recorded strictly before `to-time`; the
 * first one that fails ends the list (Bor logs it and commits what came before).
 */
import type { StateSyncRecord, StateSyncSource } from '../bttc/system/types.ts';
import { eventRecordFromDelivery, type BorEventRecord } from '../protocol/delivery-rest/format.ts';
import { hexToBytes } from '../util/bytes.ts';
import { DeliveryRestError, type DeliveryRestClient } from './client.ts';

/** Bor's stateFetchLimit. */
export const STATE_FETCH_LIMIT = 50;

export class RestStateSyncSource implements StateSyncSource {
  private readonly client: DeliveryRestClient;
  private readonly chainId: string;

  constructor(client: DeliveryRestClient, opts: { chainId: number }) {
    this.client = client;
    this.chainId = String(opts.chainId);
  }

  async recordsFrom(fromId: bigint, toTime: bigint): Promise<StateSyncRecord[]> {
    const all: BorEventRecord[] = [];
    for (let from = fromId; ; from += BigInt(STATE_FETCH_LIMIT)) {
      const res = await this.client.getWithRetry('clerk/event-record/list', `from-id=${from}&to-time=${toTime}&limit=${STATE_FETCH_LIMIT}`);
      if (res.result === null) break;
      if (!Array.isArray(res.result)) throw new DeliveryRestError(`clerk/event-record/list from ${from}: expected a list of records, got ${JSON.stringify(res.result).slice(0, 100)}`, 200);
      const page = res.result.map((r, i) => eventRecordFromDelivery(r, `record[${i}]`));
      all.push(...page);
      if (page.length < STATE_FETCH_LIMIT) break;
    }
    all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const out: StateSyncRecord[] = [];
    let expected = fromId;
    for (const r of all) {
      if (r.id < expected) continue;
      const why =
        r.id !== expected
          ? `id ${r.id} is not the next id ${expected}`
          : r.chainId !== this.chainId
            ? `bor_chain_id ${JSON.stringify(r.chainId)} is not our chain id "${this.chainId}"`
            : r.time >= toTime
              ? `recorded at ${r.time}, not before to-time ${toTime}`
              : null;
      if (why) {
        this.client.m?.rejected.inc({ reason: r.id !== expected ? 'record-gap' : r.chainId !== this.chainId ? 'record-chain-id' : 'record-time' });
        this.client.logger?.warn({ url: this.client.baseUrl, id: String(r.id) }, `delivery REST: state sync list ends at record ${r.id}: ${why}`);
        break;
      }
      out.push({ id: r.id, time: r.time, contract: hexToBytes(r.contract), data: hexToBytes(r.data), txHash: hexToBytes(r.txHash), logIndex: r.logIndex, chainId: r.chainId });
      expected++;
    }
    return out;
  }
}
