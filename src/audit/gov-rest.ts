/**
 * A proposal as a Delivery node serves it (GET /gov/proposals/{id}): the Governor and root chain id
 * it names, so `gov vote --rest` and `audit tally --rest` need no --governor / --chain-id. The node
 * is trusted only for where to look: the audit still reads the proposal and the anchored tally from
 * the Governor itself, and a ballot signed for the wrong domain is simply refused.
 */
import type { HttpEndpoint } from './http.ts';
import { AuditError } from './interface.ts';

export interface RestProposal {
  governor: string;
  chainId: string | null;
}

export async function restProposal(rest: HttpEndpoint, proposalId: string): Promise<RestProposal> {
  const path = `gov/proposals/${proposalId}`;
  const a = await rest.request('GET', path);
  if (a.status !== 200) throw new AuditError(`--rest ${rest.target(path)}: HTTP ${a.status} ${a.text.slice(0, 200)}`);
  let r: unknown;
  try {
    r = (JSON.parse(a.text) as { result?: unknown }).result;
  } catch {
    throw new AuditError(`--rest ${rest.target(path)}: did not answer JSON`);
  }
  const o = (r ?? {}) as Record<string, unknown>;
  if (typeof o.governor !== 'string' || !/^0x[0-9a-f]{40}$/.test(o.governor))
    throw new AuditError(`--rest ${rest.target(path)}: names no Governor (the node has no governance reader): give --governor`);
  const chainId = typeof o.chainId === 'string' && /^\d+$/.test(o.chainId) ? o.chainId : null;
  return { governor: o.governor, chainId };
}
