import { DiscoveryService } from '@nestjs/core';

/** What one healing pass did to one feature's stale state (each count adds to the run's totals). */
export interface PruneResult {
  /** Decisions lifted because they expired. */
  lifted?: number;
  /** Counters, clients, revocations or tokens dropped. */
  pruned?: number;
  /** Audit entries removed past their retention. */
  trimmed?: number;
}

/**
 * A provider whose state goes stale and is cleaned by the healing job. Features mark such a
 * provider with `@Prunable()`; the healing job finds them all (Nest's DiscoveryService), so it
 * imports no feature and a new feature registers its own pruning by itself.
 */
export interface PrunableProvider {
  pruneStale(now: number): Promise<PruneResult>;
}

/** Marks a PrunableProvider. `order`: lower runs first in a pass (lifting before counting). */
export const Prunable = DiscoveryService.createDecorator<{ order: number }>();
