import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, printJson, readJsonInput } from '../io.ts';
import type { RootChainNode as RootChainNodeT } from '../../rootchain/node.ts';

interface Opts {
  datadir: string;
  genesis?: string;
  devValidators?: string;
  chainId?: string;
  borChainId?: string;
  blockTime: string;
  host: string;
  port: string;
}

function int(v: string | undefined, what: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${what}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export function register(program: Command): void {
  program
    .command('rootchain')
    .description('run the embedded EVM root chain: root contracts deployed and validators staked at genesis, Ethereum JSON-RPC on loopback')
    .option('--datadir <dir>', 'data directory (state, blocks, genesis copy, rootchain.json)', '.devnet/rootchain')
    .option('--genesis <file>', 'genesis file (needed on first start unless --dev-validators)')
    .option('--dev-validators <n>', 'first start without a genesis file: a dev genesis with n validators and deterministic keys')
    .option('--chain-id <id>', 'EVM chain id of a dev genesis', '1337')
    .option('--bor-chain-id <id>', 'Bttc chain id the RootChain accepts, for a dev genesis', '1337199')
    .option('--block-time <seconds>', 'seconds between blocks (fractions allowed); 0 = a block per transaction', '1')
    .option('--host <host>', 'JSON-RPC listen address', '127.0.0.1')
    .option('--port <port>', 'JSON-RPC port (0 = any free port)', '8545')
    .action(async (opts: Opts) => {
      const blockTime = Number(opts.blockTime);
      if (!Number.isFinite(blockTime) || blockTime < 0) throw new CliError(`--block-time: expected seconds ≥ 0, got ${JSON.stringify(opts.blockTime)}`);
      const port = int(opts.port, '--port')!;
      const dataDir = resolve(opts.datadir);
      let genesisJson: unknown;
      if (opts.genesis) genesisJson = readJsonInput(opts.genesis, 'genesis');
      else if (opts.devValidators !== undefined && !existsSync(join(dataDir, 'genesis.json'))) {
        const { devnetGenesis } = await import('../../rootchain/genesis.ts');
        genesisJson = devnetGenesis({
          validators: int(opts.devValidators, '--dev-validators', 1)!,
          chainId: int(opts.chainId, '--chain-id', 1),
          borChainId: int(opts.borChainId, '--bor-chain-id', 1),
        }).json;
      } else if (!existsSync(join(dataDir, 'genesis.json'))) {
        throw new CliError(`${dataDir} holds no root chain yet: give --genesis FILE or --dev-validators N`);
      }

      const { RootChainNode } = await import('../../rootchain/node.ts');
      const { GenesisError } = await import('../../rootchain/genesis.ts');
      const { rootChainBackend } = await import('../../rootchain/backend.ts');
      const { MethodRegistry } = await import('../../rpc/registry.ts');
      const { RpcServer, metricsRoute } = await import('../../rpc/server.ts');
      const { registerEth } = await import('../../rpc/eth.ts');
      const { ChainEvents } = await import('../../rpc/events.ts');
      const { createLogger } = await import('../../observability/logger.ts');
      const { createMetricsRegistry } = await import('../../observability/metrics.ts');

      const logger = createLogger({ name: 'rootchain' });
      const metrics = createMetricsRegistry();
      let node: RootChainNodeT;
      try {
        node = await RootChainNode.open({ dataDir, genesisJson, genesisSource: opts.genesis ?? 'dev genesis', blockTimeMs: Math.round(blockTime * 1000) }, { logger, metrics });
      } catch (err) {
        if (err instanceof GenesisError || /genesis/.test((err as Error).message)) throw new CliError((err as Error).message);
        throw err;
      }
      const events = new ChainEvents();
      node.onBlock((hash: Uint8Array) => {
        void events.publish(node.store, hash).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'head event failed'));
      });
      const registry = new MethodRegistry({ metrics, logger });
      registerEth(registry, rootChainBackend(node), events);
      // On-demand blocks (Hardhat/Anvil name): seals the pending transactions now.
      registry.register('evm_mine', async () => {
        await node.sealNow();
        return '0x' + node.store.head().number.toString(16);
      });
      const server = new RpcServer({ host: opts.host, port }, { registry, metrics, logger });
      server.route('GET', '/metrics', metricsRoute(metrics));
      const { url, wsUrl } = await server.start();
      const infoFile = node.writeInfo(url);
      node.start();
      printJson({
        rpcUrl: url,
        wsUrl,
        chainId: node.info.chainId,
        rootChainId: node.info.rootChainId,
        borChainId: node.info.borChainId,
        head: Number(node.store.head().number),
        contracts: node.info.contracts,
        infoFile,
      });

      await new Promise<void>((resolveStop) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          logger.info({ signal }, 'root chain stopping');
          void (async () => {
            await server.close().catch(() => undefined);
            await node.close();
            resolveStop();
          })();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
