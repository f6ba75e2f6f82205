/**
 * Yamux whose streams return receive window to the sender when half of it is used, not after every
 * data frame. @chainsafe/libp2p-yamux answers each received data frame with a WindowUpdate frame,
 * so every gossip message a validator receives cost a second frame back (encrypted, written with
 * its own syscall, read, decrypted and decoded at the peer): about half of an idle network
 * thread's frames. go-yamux and rust-yamux send the update once the consumed part reaches half the
 * window; this does the same (the spec leaves the timing to the receiver, and the sender still
 * has at least half a window, 128 KiB at first, when the update goes out).
 *
 * Opening (SYN), acknowledging (ACK), a paused stream and a stream not yet established keep
 * yamux's own behaviour: only an established stream's update with more than half the window still
 * available is skipped. If a future yamux renames the fields read here, streams are left as they are.
 */
import { yamux } from '@chainsafe/libp2p-yamux';
import { StreamState } from '@chainsafe/libp2p-yamux/stream';

/** The stream fields read here (private in yamux's types). */
interface WindowedStream {
  state: StreamState;
  recvWindow?: number;
  recvWindowCapacity?: number;
  sendWindowUpdate?: () => void;
}

/** Makes one yamux stream's window updates lazy (see the file comment). */
export function lazyWindowUpdates(stream: WindowedStream): void {
  const send = stream.sendWindowUpdate;
  if (typeof send !== 'function' || typeof stream.recvWindow !== 'number' || typeof stream.recvWindowCapacity !== 'number') return;
  stream.sendWindowUpdate = function (this: WindowedStream) {
    if (stream.state === StreamState.Established && stream.recvWindowCapacity! * 2 > stream.recvWindow!) return;
    send.call(stream);
  };
}

type Factory = ReturnType<typeof yamux>;

/** `yamux()` whose streams send lazy window updates. */
export function lazyYamux(init?: Parameters<typeof yamux>[0]): Factory {
  const make = yamux(init);
  return () => {
    const f = make();
    const create = f.createStreamMuxer.bind(f);
    f.createStreamMuxer = (...a: Parameters<typeof create>) => {
      const muxer = create(...a);
      // _newStream is private in yamux's types: every stream, inbound or outbound, is made there.
      const inner = muxer as unknown as { _newStream?: (...args: unknown[]) => WindowedStream };
      const newStream = inner._newStream;
      if (typeof newStream === 'function') {
        inner._newStream = (...args: unknown[]) => {
          const s = newStream.apply(muxer, args);
          lazyWindowUpdates(s);
          return s;
        };
      }
      return muxer;
    };
    return f;
  };
}
