/** Returning a result object from a piscina worker with its buffers transferred, not cloned. */
import { move, transferableSymbol, valueSymbol } from 'piscina';

export function transferBack<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  const wrapper = {
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return value;
    },
  };
  return move(wrapper as unknown as ArrayBuffer) as unknown as T;
}
