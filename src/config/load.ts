import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeConfig } from './types.ts';
import { nodeConfigSchema } from './schema.ts';
import { ConfigError, validate } from './validate.ts';

export { ConfigError } from './validate.ts';

export const PRESET_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../config');
export const PRESETS = ['mainnet', 'donau', 'devnet'] as const;
export type PresetName = (typeof PRESETS)[number];

/**
 * Loads a preset by name (`mainnet`, `donau`, `devnet`) or a JSON file by path, applies overrides
 * (a partial config merged field by field), validates types, ranges and cross-field rules, and
 * returns a frozen config. Every error names the source, the field and what was expected.
 */
export function loadConfig(presetOrFile: string, overrides: Record<string, unknown> = {}): NodeConfig {
  const file = (PRESETS as readonly string[]).includes(presetOrFile) ? join(PRESET_DIR, `${presetOrFile}.json`) : resolve(presetOrFile);
  if (!existsSync(file)) throw new ConfigError(presetOrFile, '(file)', `a preset name (${PRESETS.join(', ')}) or an existing JSON file`, presetOrFile);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, '(file)', 'valid JSON', (err as Error).message);
  }
  return parseConfig(deepMerge(withGenesisPaths(raw, dirname(file)), overrides), file);
}

/** A preset's genesis file paths are relative to the preset file. */
function withGenesisPaths(raw: unknown, base: string): unknown {
  if (!isPlainObject(raw) || !isPlainObject(raw.genesis)) return raw;
  const g = raw.genesis;
  const abs = (v: unknown) => (typeof v === 'string' && v !== '' ? resolve(base, v) : v);
  return { ...raw, genesis: { ...g, bttc: abs(g.bttc), delivery: abs(g.delivery) } };
}

/** Validates an in-memory config object; `source` names it in errors. */
export function parseConfig(raw: unknown, source: string): NodeConfig {
  const config = validate(nodeConfigSchema, raw, source, '') as NodeConfig;
  checkCrossFieldRules(config, source);
  return deepFreeze(config);
}

function checkCrossFieldRules(c: NodeConfig, source: string): void {
  const { bttc, checkpoint } = c;
  if (bttc.spanLength % bttc.sprint !== 0) throw new ConfigError(source, 'bttc.spanLength', `a multiple of bttc.sprint (${bttc.sprint})`, bttc.spanLength);
  if ((bttc.firstSpanEnd + 1) % bttc.sprint !== 0) throw new ConfigError(source, 'bttc.firstSpanEnd', `one less than a multiple of bttc.sprint (${bttc.sprint})`, bttc.firstSpanEnd);
  if (checkpoint.avgLength > checkpoint.maxLength) throw new ConfigError(source, 'checkpoint.avgLength', `at most checkpoint.maxLength (${checkpoint.maxLength})`, checkpoint.avgLength);
  const sl = c.slashing;
  for (const f of ['slashFractionDoubleSign', 'slashFractionDowntime', 'slashFractionEquivocation'] as const) {
    if (sl[f] > sl.slashFractionLimit) throw new ConfigError(source, `slashing.${f}`, `at most slashing.slashFractionLimit (${sl.slashFractionLimit})`, sl[f]);
  }
  if (Math.ceil(sl.signedBlocksWindow * sl.minSignedPerWindow) < 1)
    throw new ConfigError(source, 'slashing.minSignedPerWindow', `a fraction that requires at least one signed block of slashing.signedBlocksWindow (${sl.signedBlocksWindow})`, sl.minSignedPerWindow);
  const ids = new Set<number>();
  c.rootChains.forEach((rc, i) => {
    if (ids.has(rc.id)) throw new ConfigError(source, `rootChains[${i}].id`, 'an id not used by another root chain', rc.id);
    ids.add(rc.id);
  });
  if (c.rootChains.filter((rc) => rc.kind === 'tron').length > 1) throw new ConfigError(source, 'rootChains', 'at most one TRON root chain', c.rootChains.length);
}

/** Objects merge key by key; arrays and scalars in `b` replace those in `a`. */
export function deepMerge(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Parses `a.b.c=value` overrides from the command line. The value is read as JSON when it parses
 * (numbers, booleans, null, quoted strings) and as a plain string otherwise.
 */
export function parseOverrides(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', pair, 'field.path=value', pair);
    const path = pair.slice(0, eq).split('.');
    let value: unknown = pair.slice(eq + 1);
    try {
      value = JSON.parse(value as string);
    } catch {
      /* a bare string */
    }
    let cursor = out;
    path.slice(0, -1).forEach((key) => {
      cursor[key] = isPlainObject(cursor[key]) ? cursor[key] : {};
      cursor = cursor[key] as Record<string, unknown>;
    });
    cursor[path[path.length - 1]!] = value;
  }
  return out;
}
