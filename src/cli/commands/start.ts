import type { Command } from 'commander';
import { CliError } from '../io.ts';

export function register(program: Command): void {
  program
    .command('start')
    .description('run one node (Delivery + Bttc + root-chain clients + network + JSON-RPC + REST + /metrics) from a config file: a validator, or a follower when the config has no keys')
    .requiredOption('--config <file>', 'node config file: {"preset": …, "set": {…}, "node": {dataDir, keys, genesis (not for mainnet/donau), rpc, rest, p2p, …}}')
    .addHelpText(
      'after',
      `
Roles:
  validator  node.keys names a validator key file (bttc-node keys): the node seals Bttc blocks as a
             producer, proposes and votes in Delivery consensus, signs and submits checkpoints.
  follower   node.keys left out (or null): the node follows the network without being a validator.
             It imports Bttc blocks and Delivery decisions from its peers and checks them, serves
             JSON-RPC and REST, forwards eth_sendRawTransaction to the network by gossip, and never
             signs anything; its root-chain clients only read.`,
    )
    .action(async (opts: { config: string }) => {
      const { readNodeFile } = await import('../../node/config.ts');
      const { loadNetworkGenesis, reconcileWithGenesis, GenesisFileError } = await import('../../node/genesis.ts');
      const { readKeyFile, KeyFileError } = await import('../../node/keys.ts');
      const file = readNodeFile(opts.config);
      let genesis, keys, reconciled;
      try {
        // node.genesis, or the preset's BTTC files (mainnet, Donau); checked against the config.
        genesis = loadNetworkGenesis(file.node, file.config);
        reconciled = reconcileWithGenesis(file.config, genesis);
        keys = file.node.keys === null ? null : readKeyFile(file.node.keys);
      } catch (err) {
        if (err instanceof GenesisFileError || err instanceof KeyFileError) throw new CliError((err as Error).message);
        throw err;
      }
      const { BttcNode, NodeStartError } = await import('../../node/node.ts');
      const { createLogger } = await import('../../observability/logger.ts');
      const logger = createLogger({ level: file.node.logLevel });
      for (const f of reconciled.filled) logger.info({ genesis: f }, 'config: taken from the genesis');
      for (const n of reconciled.notes) logger.warn({ genesis: n }, 'config and genesis disagree: the config is kept');
      const node = new BttcNode({ config: reconciled.config, node: file.node, genesis, keys }, { logger });
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
      let running;
      try {
        running = await node.start();
      } catch (err) {
        if (err instanceof NodeStartError) throw new CliError(err.message, 1);
        throw err;
      }
      // One line on stdout when ready: what a supervisor (bttc-node devnet) waits for.
      process.stdout.write(
        JSON.stringify({
          ready: true,
          rpcUrl: running.rpcUrl,
          restUrl: running.restUrl,
          peerId: running.network.peerId,
          listen: running.network.listenAddrs(),
          role: node.role,
          signer: running.status().signer,
        }) + '\n',
      );
      await new Promise(() => undefined);
    });
}
