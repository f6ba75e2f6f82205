/** The REST server's contract with the modules: each module declares its routes; the server mounts them. */

/** One request, as a route handler sees it. */
export interface RestRequest {
  readonly url: URL;
  /** Path parameters by name, raw (still percent-encoded), as the path carried them. */
  readonly params: Readonly<Record<string, string>>;
  /** `?root-chain=` (a configured id or name) as a root chain id; the staking chain when absent; 400 otherwise. */
  rootChain(): number;
  /** Most records one list call may return. */
  readonly maxListLimit: number;
}

export interface RestRoute {
  /** `/checkpoints/:number`: segments are literals or `:name` parameters; literals win over parameters. */
  readonly path: string;
  /** The `result` of the `{"height", "result"}` envelope; throw an HttpError for 4xx. */
  handle(req: RestRequest): unknown;
}

/** What the server reads from Delivery: the DeliveryApp implements it. */
export interface RestSource {
  readonly height: number;
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
  /** Root chain names accepted by ?root-chain= (besides numeric ids). */
  rootChainNames?: Record<string, number>;
  /** Most records one /clerk/event-record/list call returns. */
  maxListLimit?: number;
}
