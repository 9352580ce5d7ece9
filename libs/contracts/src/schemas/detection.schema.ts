import { z } from 'zod';

/** What Bouncer thinks of a client (an address, an IPv6 /64 or an admin-given CIDR). */
export const ClientStateSchema = z.enum(['normal', 'suspicious', 'blocked']);

/** The rules that make decisions; `admin` marks a decision a person made. */
export const RuleIdSchema = z.enum([
  'request-rate',
  'failed-logins',
  'failed-logins-per-56',
  'failed-logins-per-48',
  'account-failed-logins',
  'successful-logins',
  'token-misuse',
  'refresh-reuse',
  'probing',
  'denylist',
  'admin',
]);

/** A standing decision about one client. */
export const DecisionViewSchema = z.object({
  /** The reference a refused client is shown (`reference` in its 403/429), to look the decision up by. */
  id: z.string(),
  /** The address, the IPv6 prefix (`2001:db8::/64`) or the CIDR the decision covers. */
  client: z.string(),
  state: z.enum(['suspicious', 'blocked']),
  /** In words, with its numbers: "6 failed logins in 60 s". */
  reason: z.string(),
  rule: RuleIdSchema,
  created_at: z.string(),
  expires_at: z.string(),
  remaining_seconds: z.number(),
  /** `rule:<id>` or `admin:<username>`. */
  decided_by: z.string(),
  /** False in observe mode: recorded and shown, not enforced. */
  enforced: z.boolean(),
  /** With `one_per_client`: the standing suspicion of a blocked client, folded into its block. */
  suspicion: z.object({ id: z.string(), reason: z.string(), rule: RuleIdSchema, remaining_seconds: z.number() }).optional(),
});

/** `POST /admin/decisions/bulk-lift` and `bulk-extend`: what became of each decision asked for, in the order asked. */
export const BulkDecisionResultSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      /** `not_found`: no standing decision has this reference (it ended, or was lifted or made again). */
      outcome: z.enum(['lifted', 'extended', 'not_found', 'failed']),
      client: z.string().optional(),
      state: z.enum(['suspicious', 'blocked']).optional(),
      /** Why it failed (the change could not be stored). */
      detail: z.string().optional(),
    }),
  ),
});

/** `POST /admin/blocks` */
export const BlockRequestSchema = z.object({
  /** An address or a CIDR (`203.0.113.0/24`, `2001:db8::/48`). */
  client: z.string(),
  duration_seconds: z.int(),
  reason: z.string(),
});

export const ListKindSchema = z.enum(['allow', 'deny']);

/** An allowlist or denylist entry (`GET /admin/lists`). */
export const ListEntrySchema = z.object({
  kind: ListKindSchema,
  cidr: z.string(),
  note: z.string(),
  created_at: z.string(),
  created_by: z.string(),
  /** Null: until removed. After it the entry no longer applies (the healing job removes it). */
  expires_at: z.string().nullable(),
});

/** `POST /admin/lists` */
export const ListEntryRequestSchema = z.object({
  kind: ListKindSchema,
  cidr: z.string(),
  note: z.string().optional(),
  /** For how long; left out: until removed. */
  duration_seconds: z.int().optional(),
});

/** A security event for the feed and the audit log. */
export const SecurityEventSchema = z.object({
  at: z.string(),
  /** e.g. `decision.blocked`, `decision.lifted`, `login.failed`, `token.refresh-reuse`. */
  type: z.string(),
  client: z.string().nullable(),
  actor: z.string().nullable(),
  detail: z.string(),
});

/** One page of a paged list: `items` of `page` (from 1), `page_size` per page, `total` matching. */
export const pagedSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.int(), page: z.int(), page_size: z.int() });

/** `GET /admin/decisions` */
export const DecisionPageSchema = pagedSchema(DecisionViewSchema);

/** One account under attack (`GET /admin/accounts`): its failed sign-ins in the window, from how many clients, since when. */
export const AccountUnderAttackSchema = z.object({
  username: z.string(),
  failures: z.int(),
  /** Distinct clients (client keys) the failures came from. */
  clients: z.int(),
  first_at: z.string(),
  last_at: z.string(),
  /** The account rule limited it (`account.delayed`) in the window. */
  throttled: z.boolean(),
  /** A user of this name exists (attackers also guess names that are no account). */
  known: z.boolean(),
});

/** `GET /admin/accounts`: one page of the accounts with failed sign-ins from `since` to `until` (null: up to now), most failures first. */
export const AccountPageSchema = pagedSchema(AccountUnderAttackSchema).extend({ since: z.string(), until: z.string().nullable() });

/** `GET /admin/accounts/{username}/clients`: the clients that guessed at one account in the same window, most failures first. */
export const AccountClientPageSchema = pagedSchema(
  z.object({ client: z.string(), failures: z.int(), first_at: z.string(), last_at: z.string() }),
).extend({ since: z.string(), until: z.string().nullable() });

/** One rule of `GET /admin/rules`: its kind, whether it is on and enforced, and its numbers. */
export const RuleEntrySchema = z.looseObject({
  kind: z.string().optional(),
  enabled: z.boolean().optional(),
  mode: z.enum(['enforce', 'observe']).optional(),
});

/** `GET /admin/rules`: the rules in force, in the format RULES_FILE takes. */
export const RulesDocumentSchema = z.object({
  version: z.literal(1),
  extends: z.enum(['defaults', 'none']).optional(),
  suspicion: z.object({ ratio: z.number().optional(), seconds: z.number().optional() }).optional(),
  rules: z.record(z.string(), RuleEntrySchema),
});

/** `GET /admin/policy`: the route policy in force, in the format POLICY_FILE takes, and where it came from. */
export const RoutePolicyViewSchema = z.object({
  source: z.string(),
  policy: z.record(z.string(), z.unknown()),
});

/**
 * `GET /admin/clients/activity?client=&range=` (or `since=&until=`): what one client (an address or a range) did lately,
 * for its page. No secret appears: sessions by their id, tokens never.
 */
export const ClientActivitySchema = z.object({
  client: z.string(),
  /**
   * Requests over the asked range (default the last hour), oldest first, as this instance saw them
   * (refused ones included): per minute (`bucket_seconds` 60) when the range starts within the
   * last hour, else per hour (3600), kept 7 days. A range reaching further back starts at the
   * oldest kept bucket (`since`).
   */
  timeline: z.object({
    /** Start of the first bucket, ISO-8601. */
    since: z.string(),
    /** End of the range (exclusive; now for a named range), ISO-8601. */
    until: z.string(),
    bucket_seconds: z.int(),
    requests: z.array(z.int()),
    /** False when this instance keeps no timeline for the client (never seen, or forgotten). */
    tracked: z.boolean(),
  }),
  /** Failed sign-ins from the client in the last 24 hours, per targeted account, most first. */
  accounts: z.array(z.object({ username: z.string(), failures: z.int(), first_at: z.string(), last_at: z.string() })),
  /** Successful sign-ins from the client, newest first (at most 50). */
  sign_ins: z.array(z.object({ username: z.string(), at: z.string(), user_agent: z.string().nullable() })),
  /** Sessions still open whose last refresh came from the client (at most 50). */
  sessions: z.array(z.object({ id: z.string(), username: z.string(), last_used_at: z.string(), expires_at: z.string() })),
});
