/**
 * Delivery's REST server with what the node adds to the modules' own routes: each subsystem that
 * serves REST (the next-span seed, telemetry, the audit log, …) hands in a `RestExtension`, so the
 * composition root lists them and this file serves them.
 */
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import type { NodeConfig } from '../config/types.ts';
import type { DeliveryApp } from '../delivery/app/app.ts';
import { DeliveryRestServer } from '../delivery/rest/index.ts';
import type { RestRoute } from '../delivery/rest/interface.ts';
import type { RestPage } from '../delivery/rest/server.ts';
import type { NodeSection } from './config.ts';

/** Routes and fixed pages one subsystem serves on the Delivery REST port. */
export interface RestExtension {
  routes?: readonly RestRoute[];
  pages?: readonly RestPage[];
}

/** Starts the server; resolves with its URL once it listens. */
export async function startDeliveryRest(
  opts: { node: NodeSection; config: NodeConfig },
  deps: { app: DeliveryApp; extensions: readonly RestExtension[]; metrics: Registry; logger: Logger; onClose: (name: string, close: () => Promise<void> | void) => void },
): Promise<string> {
  const rootChainNames = Object.fromEntries(opts.config.rootChains.map((c) => [c.name, c.id]));
  const rest = new DeliveryRestServer(
    { host: opts.node.rest.host, port: opts.node.rest.port, rootChainNames },
    { app: deps.app, routes: deps.extensions.flatMap((e) => e.routes ?? []), pages: deps.extensions.flatMap((e) => e.pages ?? []), metrics: deps.metrics, logger: deps.logger },
  );
  const ra = await rest.listen();
  deps.onClose('delivery rest', () => rest.close());
  return `http://${ra.address}:${ra.port}`;
}
