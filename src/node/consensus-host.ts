/**
 * Holds the running Delivery consensus engine. An engine starts at a fixed height, so after a range
 * sync moved the app past it, the node replaces it with a new one at the app's next height.
 */
import type { ConsensusState } from '../delivery/consensus/state.ts';
import type { ConsensusRestarter } from '../sync/interface.ts';

export class ConsensusHost implements ConsensusRestarter {
  private readonly create: () => ConsensusState;
  private engine: ConsensusState;

  /** `create` builds an engine at the app's next height, not yet started. */
  constructor(create: () => ConsensusState) {
    this.create = create;
    this.engine = create();
  }

  get current(): ConsensusState {
    return this.engine;
  }

  start(): Promise<void> {
    return this.engine.start();
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }

  async restart(): Promise<void> {
    this.engine = this.create();
    await this.engine.start();
  }
}
