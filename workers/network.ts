/**
 * The network worker: runs the libp2p node (src/p2p/core/node.ts) off the main thread, so gossip
 * decoding, noise encryption and yamux framing never delay consensus timers or RPC. Only the
 * messages of src/p2p/protocol.ts cross, byte payloads packed and transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LevelWithSilent } from 'pino';
import { NetworkCore } from '../src/p2p/core/node.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { FromCore, NetworkCoreOptions, ToCore } from '../src/p2p/protocol.ts';

if (!parentPort) throw new Error('workers/network.ts must run as a worker thread');
const port = parentPort;
const opts = (workerData as { opts: NetworkCoreOptions }).opts;
const logger = createLogger({ name: 'network', level: (opts.logLevel as LevelWithSilent | undefined) ?? 'warn' });

const core = new NetworkCore(opts, {
  port: {
    post: (msg: FromCore, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer ?? []),
    onMessage: (cb: (msg: ToCore) => void) => port.on('message', cb),
  },
  logger,
});

try {
  await core.start();
} catch (err) {
  port.postMessage({ t: 'failed', error: (err as Error).message } satisfies FromCore);
  await core.stop().catch(() => undefined);
  port.close();
}
