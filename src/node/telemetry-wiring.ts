/**
 * Wires chain-derived telemetry into a node: the collector on Delivery commits and Bttc head changes,
 * its store on the node db, its metrics, its REST routes and the auditor's dashboard page. Start it
 * before consensus, so no commit passes unseen.
 */
import type { Logger } from 'pino';
import type { ChainStoreApi } from '../chain/interface.ts';
import { recoverSignerUncached } from '../bttc/engine/seal.ts';
import type { DeliveryApp } from '../delivery/app/app.ts';
import { builtinTxCodecs, decodeBlock } from '../delivery/app/codec.ts';
import type { RestRoute } from '../delivery/rest/interface.ts';
import type { RestPage } from '../delivery/rest/server.ts';
import type { DeliveryStore } from '../delivery/store/store.ts';
import type { KeyValueStore } from '../db/interface.ts';
import type { PeerInfo } from '../p2p/interface.ts';
import type { Registry } from '../observability/metrics.ts';
import type { StoredSpanJson } from '../delivery/modules/span/store.ts';
import { bytesToHex } from '../util/bytes.ts';
import { clientVersion } from '../rpc/version.ts';
import { dashboardHtml } from '../dashboard/page.ts';
import { TelemetryCollector, type BttcSlotSource } from '../telemetry/collector.ts';
import { localSignals } from '../telemetry/local.ts';
import { telemetryMetrics } from '../telemetry/metrics.ts';
import { telemetryRoutes, type TelemetryValidatorRef } from '../telemetry/rest.ts';
import { POLICY_V1, scoreValidator } from '../telemetry/scorecard.ts';
import { TelemetryStore } from '../telemetry/store.ts';

export interface TelemetryWiring {
  collector: TelemetryCollector;
  routes: RestRoute[];
  pages: RestPage[];
}

export async function startTelemetry(
  opts: { windowHeights: number },
  deps: {
    app: DeliveryApp;
    deliveryStore: DeliveryStore;
    db: KeyValueStore;
    chain: ChainStoreApi;
    peers: () => Promise<PeerInfo[]>;
    metrics: Registry;
    logger: Logger;
    onClose: (name: string, close: () => Promise<void> | void) => void;
  },
): Promise<TelemetryWiring> {
  const { app, chain } = deps;
  const validators = (): TelemetryValidatorRef[] => app.queries.staking.validatorSet().validators.map((v) => ({ id: v.id, signer: v.signer.toLowerCase(), jailed: v.jailed }));
  const idOf = (signer: string): string => String(validators().find((v) => v.signer === signer)?.id ?? signer);
  // Gauges are set when scraped, not every height: a height only marks them (and the scores) stale.
  let scoresStale = false;
  const refresh = (): void => {
    collector.refreshMetrics();
    if (scoresStale) {
      scoresStale = false;
      scores();
    }
  };
  const m = telemetryMetrics(deps.metrics, refresh);
  const collector = new TelemetryCollector(opts, { store: new TelemetryStore(deps.db), metrics: m, logger: deps.logger, label: idOf, lazyMetrics: true });

  // The app's last block, if our store stopped one height short of it (a crash between the two batches).
  let last = null;
  if (app.height > 0) {
    const bytes = await deps.deliveryStore.getBlock(app.height);
    if (bytes) {
      try {
        last = { block: decodeBlock(bytes, builtinTxCodecs()), set: app.validatorSet(app.height) };
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message, height: app.height }, 'telemetry: last block not decodable with the built-in codecs; counting resumes at the next height');
      }
    }
  }
  await collector.open(last);

  const scores = (): void => {
    const win = collector.windowTotals();
    const slots = collector.bttcTotals();
    for (const v of validators()) {
      const c = win.validators[v.signer];
      if (c) m.score.set({ validator: String(v.id), policy: POLICY_V1.version }, scoreValidator(c, slots.producers[v.signer]).scoreBps / 10_000);
    }
  };
  // The set that decided a height is only readable while it is the last committed one: read it in the listener.
  app.onCommitted(
    (c) =>
      void collector.onCommitted(c.block, app.validatorSet(c.height)).then(() => {
        scoresStale = true;
      }),
  );

  // Bttc slots: producers of the span covering each block, the sealer recovered from its header.
  const spanCache = new Map<number, StoredSpanJson>();
  const spanFor = async (n: number): Promise<StoredSpanJson | null> => {
    for (const s of spanCache.values()) if (s.startBlock <= n && n <= s.endBlock) return s;
    for (let id = app.queries.span.lastId; id >= 0; id--) {
      const s = spanCache.get(id) ?? (await app.queries.span.json(id));
      if (!s) continue;
      spanCache.set(id, s);
      if (s.startBlock <= n && n <= s.endBlock) return s;
      if (s.endBlock < n) return null;
    }
    return null;
  };
  const slots: BttcSlotSource = {
    headNumber: () => Number(chain.head().number),
    slot: async (n) => {
      const [h, span] = await Promise.all([chain.getHeaderByNumber(BigInt(n)), spanFor(n)]);
      if (!h || !span) return null;
      return { time: Number(h.time), difficulty: Number(h.difficulty), sealer: bytesToHex(recoverSignerUncached(h)), producers: span.selectedProducers.map((p) => p.signer.toLowerCase()) };
    },
  };
  deps.onClose(
    'telemetry',
    chain.onHeadChange(() => void collector.onBttcHead(slots)),
  );
  deps.onClose('telemetry writes', () => collector.settled());

  const local = () =>
    localSignals({
      peers: deps.peers,
      ownVersion: clientVersion(),
      bttcHead: () => ({ number: Number(chain.head().number), time: Number(chain.head().header.time) }),
      deliveryHeight: () => app.height,
      now: () => Date.now(),
    });
  return { collector, routes: telemetryRoutes({ collector, validators, local }), pages: [{ path: '/dashboard', contentType: 'text/html; charset=utf-8', body: dashboardHtml() }] };
}
