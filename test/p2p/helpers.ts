/** Shared plumbing for the network tests: real nodes in worker threads on 127.0.0.1. */
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { createNetwork, createNetworkKey, type NetworkClient } from '../../src/p2p/index.ts';
import type { CreateNetworkOptions } from '../../src/p2p/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { until } from '../helpers/until.ts';

export const CHAIN_ID = 1337199;

export interface TestNode {
  net: NetworkClient;
  key: Uint8Array;
  metrics: Registry;
}

export async function startNode(opts: Partial<CreateNetworkOptions> = {}): Promise<TestNode> {
  const key = opts.privateKey ?? (await createNetworkKey());
  const metrics = new Registry();
  const net = createNetwork(
    {
      chainId: CHAIN_ID,
      privateKey: key,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      reconnect: { baseMs: 200, maxMs: 1000 },
      gossip: { heartbeatIntervalMs: 200 },
      statsIntervalMs: 200,
      logLevel: 'silent',
      ...opts,
    },
    { metrics, logger: silentLogger() },
  );
  await net.start();
  return { net, key, metrics };
}

/** How long a network test waits (with `until` from test/helpers) for connections, gossip and scores to settle. */
export const P2P_WAIT_MS = 15_000;

/** `until` with the network defaults, kept only for test/delivery/sync.test.ts; new tests call `until`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = P2P_WAIT_MS, everyMs = 50): Promise<void> {
  await until(what, timeoutMs, cond, everyMs);
}

/** A port free right now on 127.0.0.1 (for a node that must come back on the same address). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function scoreOf(observer: NetworkClient, peerId: string): Promise<number | undefined> {
  return (await observer.peers()).find((p) => p.peerId === peerId)?.score;
}

export async function metricValue(reg: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = reg.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  return data.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((n, v) => n + v.value, 0);
}
