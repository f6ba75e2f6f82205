/** What applying one block collects from the modules: batch operations for its one write, and notices for listeners. */
import type { BatchOp } from '../../db/interface.ts';
import type { BlockEffects, Notice, Notices } from '../modules/module.ts';

export class BlockOutput implements BlockEffects, Notices {
  readonly ops: BatchOp[] = [];
  private readonly notices = new Map<Notice<unknown>, unknown[]>();

  write(op: BatchOp): void {
    this.ops.push(op);
  }

  notify<T>(n: Notice<T>, value: T): void {
    let list = this.notices.get(n);
    if (!list) this.notices.set(n, (list = []));
    list.push(value);
  }

  of<T>(n: Notice<T>): readonly T[] {
    // Values under a notice were put there by notify with that notice's T.
    return (this.notices.get(n) ?? []) as T[];
  }
}
