import type { Command } from 'commander';
import { CliError } from '../io.ts';

export function register(program: Command): void {
  program
    .command('start')
    .description('run one validator node (Delivery + Bttc + root-chain client + network + JSON-RPC + REST + /metrics) from a config file')
    .requiredOption('--config <file>', 'node config file: {"preset": …, "set": {…}, "node": {dataDir, keys, genesis, rpc, rest, p2p, …}}')
    .action(async (opts: { config: string }) => {
      const { readNodeFile } = await import('../../node/config.ts');
      const { readNetworkGenesis, GenesisFileError } = await import('../../node/genesis.ts');
      const { readKeyFile, KeyFileError } = await import('../../node/keys.ts');
      const file = readNodeFile(opts.config);
      let genesis, keys;
      try {
        genesis = readNetworkGenesis(file.node.genesis);
        keys = readKeyFile(file.node.keys);
      } catch (err) {
        if (err instanceof GenesisFileError || err instanceof KeyFileError) throw new CliError((err as Error).message);
        throw err;
      }
      const { BttcNode, NodeStartError } = await import('../../node/node.ts');
      const { createLogger } = await import('../../observability/logger.ts');
      const logger = createLogger({ level: file.node.logLevel });
      const node = new BttcNode({ config: file.config, node: file.node, genesis, keys }, { logger });
      let stopping: Promise<void> | null = null;
      const stop = (signal: string) => {
        if (stopping) return;
        logger.info({ signal }, 'node stopping');
        stopping = node.close().then(() => {
          logger.info('node stopped');
          process.exit(0);
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      try {
        await node.start();
      } catch (err) {
        if (err instanceof NodeStartError) throw new CliError(err.message, 1);
        throw err;
      }
      // One line on stdout when ready: what a supervisor (bttc-node devnet) waits for.
      process.stdout.write(JSON.stringify({ ready: true, rpcUrl: node.rpcUrl, restUrl: node.restUrl, peerId: node.network.peerId, listen: node.network.listenAddrs(), signer: node.status().signer }) + '\n');
      await new Promise(() => undefined);
    });
}
