/**
 * REST answers other than 200, as BTTC's Delivery sends them: the status its handler picks and the
 * body `{"error": message}` (the Cosmos SDK's ErrorResponse). Where Delivery's handler passes on a
 * failed keeper query, the message is the query's ABCI log, itself JSON:
 * `{"codespace":"sdk","code":1,"message":"…"}` (`queryError`).
 */
import { goJsonString } from '../../protocol/delivery-rest/go-json.ts';

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The SDK's codespace and codes that Delivery's queriers answer with. */
export const SDK_CODESPACE = 'sdk';
export const CODE_INTERNAL = 1;
export const CODE_UNKNOWN_REQUEST = 6;
/** Delivery's own errors (common/error.go) live in codespace "1". */
export const DELIVERY_CODESPACE = '1';
export const CODE_NO_CHECKPOINT_BUFFER = 1511;

/** A keeper query's error as Delivery's REST handler passes it on: its ABCI log (HTML left unescaped, as the SDK encodes it). */
export function queryError(status: number, codespace: string, code: number, message: string): HttpError {
  return new HttpError(status, `{"codespace":${goJsonString(codespace, { escapeHtml: false })},"code":${code},"message":${goJsonString(message, { escapeHtml: false })}}`);
}

/** `sdk.ErrInternal(msg)` passed on with `status`. */
export function internalQueryError(status: number, message: string): HttpError {
  return queryError(status, SDK_CODESPACE, CODE_INTERNAL, message);
}

/** The SDK's AppendMsgToErr for an error without an ABCI log inside: "msg; err". */
export function appendMsg(msg: string, err: string): string {
  return `${msg}; ${err}`;
}
