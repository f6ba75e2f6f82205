import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CliError } from '../io.ts';
import { stopOnSignals } from '../signals.ts';

function int(v: string, what: string, min: number, max = 65535): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${what}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

interface InitOpts {
  validators: string;
  followers: string;
  hosts: string;
  out: string;
  rpcPort: string;
  restPort: string;
  p2pPort: string;
  rootPort: string;
  rootBlockTime: string;
  rpcNamespaces: string;
  set: string[];
  bin: string;
  installDir: string;
}

const HOSTS_HELP = `
Hosts file (--hosts): one host per line, blanks between fields, # starts a comment:
  # HOST         NODES  [root] [bind=IP]
  10.0.0.1       2      root
  10.0.0.2       2
  node3.example  1      bind=0.0.0.0
HOST is an IPv4 address or a DNS name other hosts reach it at; NODES how many nodes run there
(numbered in file order; the first --validators are validators, the rest followers; the counts add
up to validators + followers); "root": this host also runs the root chain (default: the first host);
bind=IP: listen address (default HOST for an IP, 0.0.0.0 for a name).

On each host, every node listens on the bind address: p2p (libp2p, noise-encrypted), JSON-RPC with
/metrics (namespaces: --rpc-namespaces) and Delivery REST (read-only); the root chain host also
serves the root chain's JSON-RPC (it accepts transactions: keep it inside the testnet's network).
Ports: a host's k-th node uses --rpc-port + k, --rest-port + k, --p2p-port + k.`;

export function register(program: Command): void {
  const testnet = program.command('testnet').description("a devnet spread over several hosts: write every host's configs, keys and systemd units (init), run one host's share (start)");
  testnet
    .command('init')
    .description(
      "write a testnet: one folder per host with its nodes' configs, keys (0600), the shared genesis, static peers by host address, the root chain (on its host) and a systemd unit per process",
    )
    .requiredOption('--validators <n>', 'validators (nodes 0 … n-1 in hosts-file order)')
    .option('--followers <n>', 'follower nodes: no keys; numbered after the validators', '0')
    .requiredOption('--hosts <file>', 'hosts file (format below)')
    .requiredOption('--out <dir>', 'directory to write (must be new or empty)')
    .option('--rpc-port <port>', "JSON-RPC port of a host's first node (k-th: +k)", '8545')
    .option('--rest-port <port>', "Delivery REST port of a host's first node (k-th: +k)", '1317')
    .option('--p2p-port <port>', "libp2p TCP port of a host's first node (k-th: +k)", '30303')
    .option('--root-port <port>', "the root chain's JSON-RPC port on its host", '8645')
    .option('--root-block-time <s>', 'root chain block time, seconds', '1')
    .option('--rpc-namespaces <list>', 'JSON-RPC namespaces the nodes serve beyond loopback (comma-separated; debug and txpool are off unless named)', 'eth,net,web3,bor,bttcnode')
    .option(
      '--set <field=value>',
      'override a devnet preset field for every node, e.g. checkpoint.avgLength=8 or bttc.producerDelay=6 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--bin <path>', 'bttc-node binary the systemd units run', '/usr/local/bin/bttc-node')
    .option('--install-dir <dir>', 'where each host folder is copied on its host (the systemd units name paths under it: <dir>/<host>)', '/var/lib/bttc-testnet')
    .addHelpText('after', HOSTS_HELP)
    .action(async (opts: InitOpts) => {
      const validators = int(opts.validators, '--validators', 1, 64);
      const followers = int(opts.followers, '--followers', 0, 64);
      const ports = { rpc: int(opts.rpcPort, '--rpc-port', 1), rest: int(opts.restPort, '--rest-port', 1), p2p: int(opts.p2pPort, '--p2p-port', 1), root: int(opts.rootPort, '--root-port', 1) };
      const rootBlockTimeSec = Number(opts.rootBlockTime);
      if (!Number.isFinite(rootBlockTimeSec) || rootBlockTimeSec <= 0) throw new CliError(`--root-block-time: expected seconds > 0, got ${JSON.stringify(opts.rootBlockTime)}`);
      const { RPC_NAMESPACES } = await import('../../node/config.ts');
      const rpcNamespaces = opts.rpcNamespaces.split(',').map((s) => s.trim());
      for (const ns of rpcNamespaces)
        if (!(RPC_NAMESPACES as readonly string[]).includes(ns)) throw new CliError(`--rpc-namespaces: unknown namespace ${JSON.stringify(ns)} (known: ${RPC_NAMESPACES.join(', ')})`);
      const { parseOverrides } = await import('../../config/load.ts');
      const { readHostsFile, HostsFileError } = await import('../../testnet/hosts.ts');
      const { createTestnet, TestnetInitError } = await import('../../testnet/init.ts');
      let set: Record<string, unknown>;
      try {
        set = parseOverrides(opts.set);
      } catch (err) {
        throw new CliError(`--set: ${(err as Error).message}`);
      }
      try {
        const hosts = readHostsFile(opts.hosts);
        const layout = await createTestnet(opts.out, {
          validators,
          followers,
          hosts,
          hostsSource: opts.hosts,
          ports,
          set,
          rootBlockTimeSec,
          rpcNamespaces,
          bin: opts.bin,
          installDir: opts.installDir,
        });
        const out = resolve(opts.out);
        for (const h of layout.hosts)
          process.stdout.write(`${h.host}: ${h.root ? 'root chain, ' : ''}nodes ${h.nodes.join(', ') || 'none'} -> ${out}/${h.dir} (run: bttc-node testnet start ${out}/${h.dir})\n`);
      } catch (err) {
        if (err instanceof HostsFileError || err instanceof TestnetInitError) throw new CliError(err.message);
        throw err;
      }
    });
  testnet
    .command('start')
    .description("run one host's share of a testnet: its root chain (if it has it) and its nodes, restarted when they die; Ctrl-C or SIGTERM stops them all")
    .argument('<hostdir>', 'the host folder written by testnet init (DIR/<host>)')
    .option('--restart-delay <s>', 'seconds before a process that died is started again', '5')
    .option('--status-interval <s>', 'seconds between status lines', '5')
    .option('--log-level <level>', 'log level of the processes (logs: <hostdir>/node-<i>/node.log, <hostdir>/rootchain/rootchain.log)', 'info')
    .action(async (hostdir: string, opts: { restartDelay: string; statusInterval: string; logLevel: string }) => {
      const dir = resolve(hostdir);
      const { HostSupervisor, hostStatusLine } = await import('../../testnet/supervisor.ts');
      const { TestnetInitError } = await import('../../testnet/init.ts');
      const { createLogger } = await import('../../observability/logger.ts');
      const { acquirePidLock, DirInUseError } = await import('../../util/pid-lock.ts');
      const logger = createLogger({ name: 'testnet' });
      let sup: InstanceType<typeof HostSupervisor>;
      try {
        sup = new HostSupervisor({ dir, restartDelayMs: Number(opts.restartDelay) * 1000, logLevel: opts.logLevel }, { logger });
      } catch (err) {
        if (err instanceof TestnetInitError) throw new CliError(err.message);
        throw err;
      }
      let lock: { release(): void };
      try {
        lock = acquirePidLock(dir, 'testnet host', 'testnet.pid');
      } catch (err) {
        if (err instanceof DirInUseError) throw new CliError(`${dir} is already running (PID ${err.pid}); stop it first`, 1);
        throw err;
      }
      process.on('exit', () => lock.release());
      const signals = stopOnSignals(() => sup.stop(), logger, { stopping: 'stopping every process of this host', stopped: 'testnet host stopped' });
      try {
        await sup.start();
      } catch (err) {
        await sup.stop();
        throw new CliError(`testnet host did not start: ${(err as Error).message} (logs under ${dir})`, 1);
      }
      const every = int(opts.statusInterval, '--status-interval', 1, 3600) * 1000;
      for (;;) {
        if (signals.stopping) return;
        const snap = await sup.snapshot();
        process.stdout.write(hostStatusLine(snap) + '\n');
        await new Promise((r) => setTimeout(r, every));
      }
    });
}
