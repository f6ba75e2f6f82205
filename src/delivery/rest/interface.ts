/** What the REST server reads from Delivery: the DeliveryApp implements it. */
import type { SpanJson } from '../../protocol/span/span.ts';
import type { ValidatorJson } from '../../protocol/validators/validator.ts';
import type { BufferedCheckpoint } from '../app/state.ts';
import type { AckedCheckpoint, EventRecord } from '../store/interface.ts';

export interface DeliveryQuery {
  readonly height: number;
  readonly stakingChainId: number;
  rootChainIds(): number[];
  ackCount(rootChainId?: number): number | null;
  checkpointBuffer(rootChainId?: number): BufferedCheckpoint | null;
  checkpointProposer(): string | null;
  getCheckpoint(rootChainId: number, number: number): Promise<AckedCheckpoint | null>;
  latestCheckpoint(rootChainId?: number): Promise<AckedCheckpoint | null>;
  readonly lastSpanId: number;
  getSpanJson(id: number): Promise<SpanJson | null>;
  latestSpanJson(): Promise<SpanJson | null>;
  eventRecords(fromId: number, toTime: number, limit: number): Promise<EventRecord[]>;
  getEventRecord(id: number): Promise<EventRecord | null>;
  validatorSetJson(): { validators: ValidatorJson[]; proposer: ValidatorJson | null; totalVotingPower: string };
  validatorJson(id: number): ValidatorJson | null;
}

export interface RestServerOptions {
  /** Loopback unless the operator says otherwise. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Root chain names accepted by ?root-chain= (besides numeric ids). */
  rootChainNames?: Record<string, number>;
  /** Most records one /clerk/event-record/list call returns. */
  maxListLimit?: number;
}
