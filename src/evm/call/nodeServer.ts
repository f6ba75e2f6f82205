/**
 * The owner's side of the state-node channel (see nodeProtocol.ts). It runs on the thread that owns
 * the StateDb and answers between that thread's own awaits: a block being executed is never waited
 * for, it only yields to these reads when it awaits I/O itself, and each answer is a map lookup or
 * one level read.
 */
import type { MessagePort } from 'node:worker_threads';
import type { NodeReplyMsg, NodeRequestMsg, NodeSource } from './nodeProtocol.ts';

/** Serves `port` until it closes (the call worker ended) or `close()` is called. */
export function serveStateNodes(port: MessagePort, source: NodeSource): { close(): void } {
  let open = true;
  port.on('message', (msg: NodeRequestMsg) => {
    Promise.all(msg.keys.map((k) => source.peek(k))).then(
      (vals) => {
        if (!open) return;
        // Fresh, exact buffers: a value may be a view into a shared pool, which would be cloned whole.
        const values: (Uint8Array | null)[] = [];
        const transfer: ArrayBuffer[] = [];
        for (const v of vals) {
          if (v === undefined) values.push(null);
          else {
            const copy = v.slice();
            values.push(copy);
            transfer.push(copy.buffer as ArrayBuffer);
          }
        }
        port.postMessage({ id: msg.id, values } satisfies NodeReplyMsg, transfer);
      },
      (err: unknown) => {
        if (open) port.postMessage({ id: msg.id, error: (err as Error)?.message ?? String(err) } satisfies NodeReplyMsg);
      },
    );
  });
  port.on('close', () => {
    open = false;
  });
  // A passive server: it must not keep its thread (or the process) alive once everything else is done.
  port.unref();
  return {
    close() {
      if (!open) return;
      open = false;
      port.close();
    },
  };
}
