/**
 * JSON text as Go's encoding/json writes it, so our Delivery REST answers match BTTC's Delivery byte
 * for byte: objects keep the order their keys were inserted in (Go writes struct fields in
 * declaration order), int64 / uint64 values may be bigint and are written as bare numbers (never in
 * exponent form, never rounded), and strings are escaped as Go escapes them (`<`, `>`, `&`, U+2028
 * and U+2029 as \u escapes; control characters other than \n \r \t as \u00XX, as Go 1.21 did).
 *
 * The reverse direction, `parseJsonExact`, keeps integers beyond 2^53 exact (as bigint), so a client
 * reading int64 fields (a validator's `accum`) loses nothing.
 */

export type GoJsonValue = null | boolean | number | bigint | string | readonly GoJsonValue[] | { readonly [key: string]: GoJsonValue };

const HEX = '0123456789abcdef';

function escapeChar(code: number): string {
  return '\\u' + HEX[(code >> 12) & 15]! + HEX[(code >> 8) & 15]! + HEX[(code >> 4) & 15]! + HEX[code & 15]!;
}

/**
 * A Go-escaped JSON string literal. A lone surrogate (not valid UTF-8 in Go) becomes U+FFFD, as Go
 * writes it. `escapeHtml: false` is a json.Encoder with SetEscapeHTML(false) (the SDK's ABCI logs).
 */
export function goJsonString(s: string, opts: { escapeHtml?: boolean } = {}): string {
  const html = opts.escapeHtml ?? true;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x2028 || c === 0x2029 || (html && (c === 0x3c || c === 0x3e || c === 0x26))) out += escapeChar(c);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s[i]! + s[i + 1]!;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else out += s[i]!;
  }
  return out + '"';
}

/** Encodes `v` as Go's json.Marshal would encode the Go value it stands for. */
export function goJson(v: GoJsonValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number':
      // Delivery's JSON carries integers only; a fraction or a number past 2^53 would not survive the trip.
      if (!Number.isSafeInteger(v)) throw new TypeError(`goJson: ${v} is not a safe integer (use a bigint for int64 values)`);
      return String(v);
    case 'string':
      return goJsonString(v);
    default:
      break;
  }
  if (Array.isArray(v)) return '[' + (v as readonly GoJsonValue[]).map(goJson).join(',') + ']';
  const o = v as { readonly [key: string]: GoJsonValue };
  const parts: string[] = [];
  for (const k of Object.keys(o)) {
    // An integer-like key would be reordered by JavaScript: Delivery's objects have none.
    if (/^(0|[1-9]\d*)$/.test(k)) throw new TypeError(`goJson: key ${k} would not keep its place`);
    const value = o[k];
    if (value === undefined) throw new TypeError(`goJson: key ${k} has no value`);
    parts.push(goJsonString(k) + ':' + goJson(value));
  }
  return '{' + parts.join(',') + '}';
}

/** JSON.parse's reviver with the source text (V8's JSON.parse source text access). */
type SourceReviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;

/**
 * JSON.parse that keeps integers exact: an integer literal beyond Number's safe range is a bigint;
 * every other value is what JSON.parse gives.
 */
export function parseJsonExact(text: string): unknown {
  const reviver: SourceReviver = (_key, value, context) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)) return BigInt(context.source);
    return value;
  };
  return JSON.parse(text, reviver as unknown as (key: string, value: unknown) => unknown);
}
