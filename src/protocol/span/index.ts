/** Span boundaries, Go math/rand and producer selection (spec §7). */
export { GoRand, seedFromHash } from './go-rand.ts';
export * from './selection.ts';
export * from './span.ts';
