/** The REST server's contract with the modules: each module declares its routes; the server mounts them. */
import type { NodeConfig } from '../../config/types.ts';
import type { GoJsonValue } from '../../protocol/delivery-rest/go-json.ts';

/** One request, as a route handler sees it. */
export interface RestRequest {
  readonly url: URL;
  /** Path parameters by name, percent-decoded (Go's mux matches the decoded path). */
  readonly params: Readonly<Record<string, string>>;
  /**
   * `?root-chain=` (a Delivery root chain type, a configured name or an id) as a root chain id; the
   * staking chain when absent; 400 otherwise. Only our staking-chain checkpoint paths read it:
   * Delivery names the root chain in the path (`rootChainParam`).
   */
  rootChain(): number;
  /** A `{root}` path segment (tron, eth, bsc; a configured name or an id) as a configured root chain id; 400 otherwise. */
  rootChainParam(raw: string): number;
  /** The root chain whose acks are Delivery's epochs (TRON when configured). */
  readonly stakingChainId: number;
  /** The network parameters this Delivery runs with (the params routes). */
  readonly config: NodeConfig;
  /** Committed Delivery height and block time (ms). */
  readonly height: number;
  readonly time: number;
}

/** A route's answer: the `result` of the envelope, built in Go field order (see protocol/delivery-rest). */
export type RestResult = GoJsonValue;

export interface RestRoute {
  /** `/checkpoints/:number`: segments are literals or `:name` parameters; literals win over parameters. */
  readonly path: string;
  /** The `result` of the `{"height", "result"}` envelope; throw an HttpError for 4xx/5xx. */
  handle(req: RestRequest): RestResult | Promise<RestResult>;
  /** Optional POST on the same path: `body` is the request's JSON (400 before this when it is not JSON). */
  post?(req: RestRequest, body: unknown): RestResult | Promise<RestResult>;
  /**
   * Delivery's handler never sets the query height on its answer, so its envelope says
   * `"height":"0"` (unless the request named a height): clerk records, span list, next span seed.
   */
  readonly heightZero?: boolean;
}

/** What the server reads from Delivery: the DeliveryApp implements it. */
export interface RestSource {
  readonly height: number;
  /** Time (ms) of the last committed block. */
  readonly time: number;
  readonly config: NodeConfig;
  readonly stakingChainId: number;
  rootChainIds(): number[];
  /** Every registered module's routes. */
  routes(): readonly RestRoute[];
}

export interface RestServerOptions {
  /** Loopback unless the operator says otherwise. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Root chain names accepted besides Delivery's types (tron, eth, bsc) and numeric ids. */
  rootChainNames?: Record<string, number>;
}
