/** Counts calls of `target[key]` (a method, usually on a prototype) until `restore()`; the calls still run. */
export function countCalls<T extends object, K extends keyof T>(target: T, key: K): { readonly count: number; restore(): void } {
  const original = target[key] as unknown as (...args: unknown[]) => unknown;
  let count = 0;
  target[key] = function (this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  } as unknown as T[K];
  return {
    get count() {
      return count;
    },
    restore: () => {
      target[key] = original as unknown as T[K];
    },
  };
}
