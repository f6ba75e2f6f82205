/**
 * Latency relays as their own process (so the bench's own work never delays a chunk):
 *
 *   node src/testnet/relay-main.ts '{"relays":[{"listen":{"host":"10.213.1.1","port":40000},
 *     "target":{"host":"10.213.1.11","port":30303}}], "latencyMs":50, "jitterMs":5}'
 *
 * Prints `{"ready":true}` once every relay listens. Each line on stdin is a command, answered by
 * one JSON line: `{"latencyMs":N,"jitterMs":J}` sets every relay's delay, `{"stats":true}` returns
 * their counters. Exits on SIGTERM/SIGINT or when stdin closes.
 */
import { createInterface } from 'node:readline';
import { LatencyRelay, type LatencyRelayOptions } from './latency-relay.ts';

interface Spec {
  relays: Pick<LatencyRelayOptions, 'listen' | 'target'>[];
  latencyMs: number;
  jitterMs?: number;
  dropAfterMs?: number | null;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
if (!Array.isArray(spec.relays)) throw new Error('relay-main: expected {"relays":[{listen,target}],"latencyMs":N} as the first argument');
const relays = spec.relays.map((r) => new LatencyRelay({ ...r, latencyMs: spec.latencyMs, jitterMs: spec.jitterMs ?? 0, dropAfterMs: spec.dropAfterMs ?? null }));
await Promise.all(relays.map((r) => r.start()));
process.stdout.write(JSON.stringify({ ready: true, relays: relays.length }) + '\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(relays.map((r) => r.close()));
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  try {
    const cmd = JSON.parse(line) as { latencyMs?: number; jitterMs?: number; stats?: boolean };
    if (cmd.latencyMs !== undefined) for (const r of relays) r.set(cmd.latencyMs, cmd.jitterMs ?? 0);
    process.stdout.write(JSON.stringify({ ok: true, latencyMs: relays[0]?.latencyMs ?? null, stats: relays.map((r) => r.stats) }) + '\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, error: (err as Error).message }) + '\n');
  }
});
rl.on('close', () => void stop());
