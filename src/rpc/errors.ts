/** JSON-RPC 2.0 errors with the codes geth uses, so wallets and ethers react as they do against geth. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** geth: generic server-side failure (nonce too low, unknown block, …). */
export const SERVER_ERROR = -32000;
/** geth: execution reverted, with the revert data in `data`. */
export const EXECUTION_REVERTED = 3;
/** Request too large / batch too large / rate limited. */
export const LIMIT_EXCEEDED = -32005;
/** geth: a batch response passed BatchResponseMaxSize; the calls left answer "response too large". */
export const RESPONSE_TOO_LARGE = -32003;

export class RpcError extends Error {
  override name = 'RpcError';
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

export function invalidParams(message: string): RpcError {
  return new RpcError(INVALID_PARAMS, message);
}
