/**
 * Delivery parameters governance may change (docs/governance.md "Delivery parameters"). The Governor
 * holds them (`setDeliveryParam(bytes32 key, uint256 value)`, Timelock only) and emits
 * `ParamChanged(bytes32 indexed key, uint256 value, uint256 oldValue)`; Delivery mirrors the event and
 * applies it at a defined height. A key is the name of Delivery's REST field, ASCII, left-aligned in
 * 32 bytes (Solidity's `bytes32("checkpoint_buffer_time")`).
 */
import { bytesToHex, hexToBytes } from '../util/bytes.ts';

/** The keys Delivery applies, with the bounds the Governor enforces (Delivery's config bounds). */
export const DELIVERY_PARAMS = {
  /** Seconds a checkpoint waits in the buffer before another may replace it (config checkpoint.bufferTime). */
  checkpoint_buffer_time: { min: 1n, max: 86_400n },
  /** Bttc blocks per span, for spans not yet committed (config bttc.spanLength); Delivery also requires a multiple of the sprint. */
  span_duration: { min: 1n, max: 10_000_000n },
} as const;

export type DeliveryParamName = keyof typeof DELIVERY_PARAMS;

/** `bytes32(name)`: the name's ASCII bytes, zero-padded on the right. */
export function paramKey(name: string): string {
  const b = new TextEncoder().encode(name);
  if (b.length === 0 || b.length > 32) throw new RangeError(`a parameter name is 1 to 32 ASCII bytes, got ${b.length}`);
  const out = new Uint8Array(32);
  out.set(b);
  return bytesToHex(out);
}

/** The parameter a 32-byte key names, or null when Delivery knows no such parameter. */
export function paramName(key: string): DeliveryParamName | null {
  const b = hexToBytes(key);
  if (b.length !== 32) return null;
  let end = b.indexOf(0);
  if (end < 0) end = 32;
  if (b.subarray(end).some((x) => x !== 0)) return null;
  const name = new TextDecoder().decode(b.subarray(0, end));
  return Object.hasOwn(DELIVERY_PARAMS, name) ? (name as DeliveryParamName) : null;
}

/** Why `value` is not a valid value of `name`, or null. */
export function paramValueError(name: DeliveryParamName, value: bigint): string | null {
  const { min, max } = DELIVERY_PARAMS[name];
  return value < min || value > max ? `${name} must be within [${min}, ${max}], got ${value}` : null;
}
