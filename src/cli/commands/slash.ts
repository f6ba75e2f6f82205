/**
 * `bttc-node slash submit|challenge`: hands evidence (or counter-evidence) to a Delivery node's REST
 * API (POST /slashing/evidence, /slashing/challenge). The node checks it against its committed state
 * at once (a refusal names its reason code) and proposes it in its next block as proposer.
 */
import type { Command } from 'commander';
import { CliError, printJson, readJsonInput } from '../io.ts';

async function post(base: string, path: string, body: unknown): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new CliError(`--delivery-rest: not a URL: ${JSON.stringify(base)}`);
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new CliError(`--delivery-rest: ${url.origin} did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: { result?: unknown; error?: string };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new CliError(`${url.href} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new CliError(`refused (${res.status}): ${json.error ?? text}`, 1);
  return json.result;
}

export function register(program: Command): void {
  const slash = program.command('slash').description('submit slashing evidence or a challenge to a Delivery node (docs/slashing.md)');
  slash
    .command('submit')
    .description('POST evidence to /slashing/evidence; prints {"id","queued"} or exits 1 with the refusal ("<code>: <reason>")')
    .requiredOption('--evidence <FILE>', 'evidence JSON (- for stdin)')
    .requiredOption('--delivery-rest <URL>', 'a Delivery REST endpoint of a validator (it proposes the tx)')
    .action(async (opts: { evidence: string; deliveryRest: string }) => printJson(await post(opts.deliveryRest, 'slashing/evidence', readJsonInput(opts.evidence, '--evidence'))));
  slash
    .command('challenge')
    .description('POST counter-evidence against an open candidate to /slashing/challenge')
    .requiredOption('--id <HASH>', "the candidate's evidence id (0x, 32 bytes)")
    .requiredOption('--counter <FILE>', 'counter-evidence JSON: {"precommits":["0x…"]} for downtime, {} for double sign')
    .requiredOption('--delivery-rest <URL>', 'a Delivery REST endpoint of a validator')
    .action(async (opts: { id: string; counter: string; deliveryRest: string }) => {
      if (!/^0x[0-9a-f]{64}$/.test(opts.id)) throw new CliError(`--id: expected a lower-case 0x 32-byte evidence id, got ${JSON.stringify(opts.id)}`);
      printJson(await post(opts.deliveryRest, 'slashing/challenge', { id: opts.id, counter: readJsonInput(opts.counter, '--counter') }));
    });
}
