import type { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from '../io.ts';
import { stopOnSignals } from '../signals.ts';

interface Opts {
  dir: string;
  validators: string;
  followers?: string;
  rootChains: string;
  reset?: boolean;
  rpcPort: string;
  restPort: string;
  p2pPort: string;
  rootPort: string;
  rootBlockTime: string;
  checkpointBlocks?: string;
  deliveryEmptyBlockMs?: string;
  restartDelay: string;
  statusInterval: string;
  logLevel: string;
}

function int(v: string, what: string, min: number, max = 65535): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${what}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

export function register(program: Command): void {
  program
    .command('devnet')
    .description('run a local network: the embedded root chain, N validators and F followers as processes on loopback, with a live status (Ctrl-C stops it; run again to resume)')
    .option('--dir <dir>', 'data directory of the devnet', '.devnet')
    .option('--validators <n>', 'validators (on first start; a resumed devnet keeps its count)', '4')
    .option('--followers <n>', "follower nodes: no keys, they follow the network and serve RPC; ports after the validators' (default 0; a resumed devnet keeps its count unless given)")
    .option(
      '--root-chains <n>',
      'embedded root chains (on first start; a resumed devnet keeps its count): 1 = Ethereum (id 2), 2 = also one standing for BSC (id 3) on --root-port + 1, whose checkpoints are synced to the first, the staking chain',
      '1',
    )
    .option('--reset', 'delete the data directory and start a new network')
    .option('--rpc-port <port>', 'JSON-RPC port of node 0 (node i: +i; followers come after the validators)', '8545')
    .option('--rest-port <port>', 'Delivery REST port of node 0 (node i: +i)', '1317')
    .option('--p2p-port <port>', 'libp2p TCP port of node 0 (node i: +i)', '30303')
    .option('--root-port <port>', 'JSON-RPC port of the embedded root chain (with --root-chains 2, the second: +1)', '8645')
    .option('--root-block-time <s>', 'root chain block time, seconds', '1')
    .option(
      '--checkpoint-blocks <n>',
      "Bttc blocks per checkpoint (checkpoint.avgLength; on first start, a resumed devnet keeps its length; default the devnet preset's 32), e.g. 8 for checkpoints every ~16 s",
    )
    .option(
      '--delivery-empty-block-ms <ms>',
      "on first start: an idle Delivery proposer waits up to this long before an empty height (Tendermint's create_empty_blocks_interval; heights with transactions follow at once); default 0, a height every second",
    )
    .option('--restart-delay <s>', 'seconds before a validator that died is started again', '5')
    .option('--status-interval <s>', 'seconds between status lines when stdout is not a terminal', '5')
    .option('--log-level <level>', 'log level of the node processes (logs go to <dir>/node-<i>/node.log)', 'info')
    .action(async (opts: Opts, cmd: Command) => {
      const dir = resolve(opts.dir);
      const validators = int(opts.validators, '--validators', 1, 64);
      const followers = opts.followers === undefined ? undefined : int(opts.followers, '--followers', 0, 64);
      const rootChains = int(opts.rootChains, '--root-chains', 1, 2);
      const checkpointBlocks = opts.checkpointBlocks === undefined ? undefined : int(opts.checkpointBlocks, '--checkpoint-blocks', 2, 1024);
      const deliveryEmptyBlockMs = opts.deliveryEmptyBlockMs === undefined ? undefined : int(opts.deliveryEmptyBlockMs, '--delivery-empty-block-ms', 0, 600_000);
      const ports = { rpc: int(opts.rpcPort, '--rpc-port', 1), rest: int(opts.restPort, '--rest-port', 1), p2p: int(opts.p2pPort, '--p2p-port', 1), root: int(opts.rootPort, '--root-port', 1) };
      const { createDevnet, readLayout, setFollowers, DevnetSupervisor, statusTable, statusLine } = await import('../../devnet/index.ts');
      const { BSC_ROOT_CHAIN } = await import('../../devnet/setup.ts');
      const { loadConfig } = await import('../../config/load.ts');
      const { createLogger } = await import('../../observability/logger.ts');
      const logger = createLogger({ name: 'devnet' });
      // One devnet per directory: a second `npm start` names the running one instead of clashing on ports.
      const { acquirePidLock, DirInUseError } = await import('../../util/pid-lock.ts');
      const { busyPorts, devnetPorts, overlappingPorts } = await import('../../devnet/ports.ts');
      const existedBefore = existsSync(dir);
      let lock: { release(): void } = { release: () => undefined };
      process.on('exit', () => lock.release());
      try {
        if (existedBefore) lock = acquirePidLock(dir, 'devnet', 'devnet.pid');
      } catch (err) {
        if (err instanceof DirInUseError)
          throw new CliError(`a devnet is already running in ${dir} (PID ${err.pid}); stop it (Ctrl-C in its terminal, or kill ${err.pid}) or use --dir for another one`, 1);
        throw err;
      }
      if (opts.reset && existedBefore) {
        lock.release();
        rmSync(dir, { recursive: true, force: true });
      }
      const existing = readLayout(dir);
      if (existing) {
        if (opts.validators !== '4' && existing.validators !== validators)
          throw new CliError(`${dir} holds a devnet of ${existing.validators} validators; use --reset to start a new one with ${validators}`);
        const existingRoots = 1 + (existing.extraRootChains?.length ?? 0);
        if (cmd.getOptionValueSource('rootChains') === 'cli' && existingRoots !== rootChains)
          throw new CliError(`${dir} holds a devnet with ${existingRoots} root chain(s); use --reset to start a new one with ${rootChains}`);
        if (checkpointBlocks !== undefined && checkpointBlocks !== (existing.checkpointBlocks ?? loadConfig('devnet').checkpoint.avgLength))
          throw new CliError(
            `${dir} holds a devnet of ${existing.checkpointBlocks ?? loadConfig('devnet').checkpoint.avgLength}-block checkpoints; use --reset to start a new one with --checkpoint-blocks ${checkpointBlocks}`,
          );
        if (deliveryEmptyBlockMs !== undefined && deliveryEmptyBlockMs !== (existing.deliveryEmptyBlockMs ?? 0))
          throw new CliError(
            `${dir} holds a devnet with --delivery-empty-block-ms ${existing.deliveryEmptyBlockMs ?? 0}; use --reset to start a new one with --delivery-empty-block-ms ${deliveryEmptyBlockMs}`,
          );
        // Ports are fixed when a devnet is created (peers and configs name them): a different one given now is refused, never ignored.
        const given = (['rpc', 'rest', 'p2p', 'root'] as const).filter((k) => cmd.getOptionValueSource(`${k}Port`) === 'cli' && ports[k] !== existing.ports[k]);
        if (given.length)
          throw new CliError(
            `${dir} was created with ${given.map((k) => `--${k}-port ${existing.ports[k]}`).join(', ')}; a resumed devnet keeps its ports (use --reset to create one on ${given.map((k) => `--${k}-port ${ports[k]}`).join(', ')})`,
          );
      }
      const planned = devnetPorts(
        existing
          ? { ...existing, followers: followers ?? existing.followers ?? 0 }
          : { validators, followers: followers ?? 0, ports, ...(rootChains > 1 ? { extraRootChains: [{ ...BSC_ROOT_CHAIN, startBlock: null }] } : {}) },
      );
      const clash = overlappingPorts(planned);
      if (clash) throw new CliError(`port ${clash[0].port} would serve both ${clash[0].what} and ${clash[1].what}; choose --rpc-port, --rest-port, --p2p-port and --root-port further apart`);
      const busy = await busyPorts(planned);
      if (busy.length)
        throw new CliError(
          `port${busy.length > 1 ? 's' : ''} already in use on 127.0.0.1: ${busy.map((p) => `${p.port} (${p.what})`).join(', ')}; stop what holds ${busy.length > 1 ? 'them' : 'it'} or start the devnet on other ports (--rpc-port, --rest-port, --p2p-port, --root-port; only for a new devnet)`,
          1,
        );
      if (existing) {
        if (followers !== undefined && followers !== (existing.followers ?? 0)) await setFollowers(dir, existing, followers);
        logger.info({ dir, validators: existing.validators, followers: existing.followers ?? 0 }, 'resuming devnet from disk');
      } else {
        try {
          await createDevnet(dir, {
            validators,
            followers: followers ?? 0,
            ports,
            rootChains,
            ...(checkpointBlocks === undefined ? {} : { checkpointBlocks }),
            ...(deliveryEmptyBlockMs === undefined ? {} : { deliveryEmptyBlockMs }),
          });
        } catch (err) {
          // Leave no half-made devnet behind: a later start would try to resume it.
          rmSync(dir, { recursive: true, force: true });
          throw new CliError(`could not create the devnet in ${dir}: ${(err as Error).message}`, 1);
        }
        logger.info({ dir, validators, followers: followers ?? 0, rootChains }, 'created a new devnet');
      }
      if (!existedBefore || opts.reset) lock = acquirePidLock(dir, 'devnet', 'devnet.pid');
      const sup = new DevnetSupervisor({ dir, blockTimeSec: Number(opts.rootBlockTime), restartDelayMs: Number(opts.restartDelay) * 1000, logLevel: opts.logLevel }, { logger });
      const signals = stopOnSignals(() => sup.stop(), logger, { stopping: 'stopping every devnet process', stopped: 'devnet stopped; run again to resume, --reset to start over' });
      try {
        await sup.start();
      } catch (err) {
        await sup.stop();
        throw new CliError(`devnet did not start: ${(err as Error).message} (logs under ${dir})`, 1);
      }
      const started = Date.now();
      const tty = process.stdout.isTTY === true;
      let last = 0;
      const every = Number(opts.statusInterval) * 1000;
      for (;;) {
        if (signals.stopping) return;
        const snap = await sup.snapshot();
        if (tty) process.stdout.write('\x1b[H\x1b[2J' + statusTable(snap, started) + '\n');
        else if (Date.now() - last >= every) {
          last = Date.now();
          process.stdout.write(statusLine(snap) + '\n');
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
}
