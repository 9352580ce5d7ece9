import type { z } from 'zod';
import type * as S from '../schemas/detection.schema';

/** What Bouncer thinks of a client (an address, an IPv6 /64 or an admin-given CIDR). */
export type ClientState = z.infer<typeof S.ClientStateSchema>;

/** The rules that make decisions; `admin` marks a decision a person made. */
export type RuleId = z.infer<typeof S.RuleIdSchema>;

/** A standing decision about one client. */
export type DecisionView = z.infer<typeof S.DecisionViewSchema>;

/** `POST /admin/blocks` */
export type BlockRequest = z.infer<typeof S.BlockRequestSchema>;

export type ListKind = z.infer<typeof S.ListKindSchema>;

/** An allowlist or denylist entry (`GET /admin/lists`). */
export type ListEntry = z.infer<typeof S.ListEntrySchema>;

/** `POST /admin/lists` */
export type ListEntryRequest = z.infer<typeof S.ListEntryRequestSchema>;

/** A security event for the feed and the audit log. */
export type SecurityEvent = z.infer<typeof S.SecurityEventSchema>;

/** `GET /admin/rules` */
export type RulesDocumentView = z.infer<typeof S.RulesDocumentSchema>;

/** One page of a paged list (S.pagedSchema). */
export interface Paged<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

/** `POST /admin/decisions/bulk-lift`, `bulk-extend` */
export type BulkDecisionResult = z.infer<typeof S.BulkDecisionResultSchema>;

/** `GET /admin/accounts`: accounts with failed sign-ins, one page. */
export type AccountPage = z.infer<typeof S.AccountPageSchema>;
export type AccountUnderAttack = z.infer<typeof S.AccountUnderAttackSchema>;
/** `GET /admin/accounts/{username}/clients` */
export type AccountClientPage = z.infer<typeof S.AccountClientPageSchema>;

/** `GET /admin/clients/activity`: a client's timeline, targeted accounts, sign-ins and sessions. */
export type ClientActivity = z.infer<typeof S.ClientActivitySchema>;
