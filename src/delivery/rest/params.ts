/** Parsing of REST path and query parameters; a bad one is a 400 that names it. */
import { HttpError } from './http-error.ts';

export function uintParam(raw: string | null, name: string, opts: { required?: boolean; min?: number } = {}): number | null {
  if (raw === null || raw === '') {
    if (opts.required) throw new HttpError(400, `query parameter ${name} is required`);
    return null;
  }
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `${name} is too large: ${raw}`);
  if (opts.min !== undefined && n < opts.min) throw new HttpError(400, `${name} must be at least ${opts.min}, got ${n}`);
  return n;
}

/** A required query parameter (uintParam with `required` throws when it is missing). */
export function requiredUintParam(raw: string | null, name: string, opts: { min?: number } = {}): number {
  const n = uintParam(raw, name, { ...opts, required: true });
  if (n === null) throw new HttpError(400, `query parameter ${name} is required`);
  return n;
}

export function pathId(raw: string, what: string): number {
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `${what} must be a non-negative integer, got ${JSON.stringify(decodeURIComponent(raw))}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `${what} is too large: ${raw}`);
  return n;
}
