import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * One schema for the embedded database (PGlite) and PostgreSQL. Change it here, then run
 * `npm run db:generate` to write the next migration into apps/api/src/db/migrations.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  /** Normalized: trimmed, NFKC, lower case. `Admin` and `admin` are one account. */
  username: text('username').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['admin', 'user'] }).notNull(),
  disabled: boolean('disabled').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
  /**
   * Raised by every change that must end the user's access tokens (role, disable, password).
   * Tokens carry it (`gen`) and are refused when it is lower: exact, with no same-second window.
   */
  tokenGeneration: integer('token_generation').notNull().default(0),
  lastSignInAt: ts('last_sign_in_at'),
  /** Set by an admin's password reset (and for a generated first admin password): until it is changed, tokens permit nothing else. */
  mustChangePassword: boolean('must_change_password').notNull().default(false),
});

/** A refresh-token family: one sign-in and all its rotations (RFC 9700, 4.14.2). */
export const refreshFamilies = pgTable(
  'refresh_families',
  {
    id: uuid('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    /** sha256 of the only refresh token of this family that may still be used. */
    currentTokenHash: text('current_token_hash').notNull(),
    generation: integer('generation').notNull().default(0),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
    /** The last rotation: when and by which client (two tabs refreshing at once get the same next token). */
    rotatedAt: ts('rotated_at'),
    rotatedBy: text('rotated_by'),
  },
  (t) => [index('refresh_families_user_idx').on(t.userId)],
);

/** Hashes of refresh tokens already rotated away; presenting one is reuse. */
export const usedRefreshTokens = pgTable('used_refresh_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  familyId: uuid('family_id')
    .notNull()
    .references(() => refreshFamilies.id, { onDelete: 'cascade' }),
  expiresAt: ts('expires_at').notNull(),
});

/**
 * What ends access tokens before their expiry, kept until they would have expired anyway:
 * `jti` one token (logout), `session` every token of a refresh family, `user` / `user-deleted`
 * every token of the user below `generation`. Not tied to the users row, so deleting a user
 * keeps their tokens dead. `recorded_at` (the database's clock) lets instances read only what
 * changed since their last read.
 */
export const revocations = pgTable(
  'revocations',
  {
    kind: text('kind', { enum: ['jti', 'session', 'user', 'user-deleted'] }).notNull(),
    key: text('key').notNull(),
    generation: integer('generation'),
    expiresAt: ts('expires_at').notNull(),
    recordedAt: ts('recorded_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key] }), index('revocations_recorded_at_idx').on(t.recordedAt)],
);

export const signIns = pgTable(
  'sign_ins',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    at: ts('at').notNull(),
    address: text('address').notNull(),
    userAgent: text('user_agent'),
  },
  (t) => [index('sign_ins_user_at_idx').on(t.userId, t.at)],
);

/**
 * Remembered devices (browsers that signed in with the right password): a random secret per
 * device, stored hashed, bound to the account's password (`credentialTag`) so that a password
 * change ends them all. The device cookie is `<id>.<secret>`.
 */
export const devices = pgTable(
  'devices',
  {
    id: uuid('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** sha256 of the secret. */
    secretHash: text('secret_hash').notNull(),
    /** sha256 of the password hash the device was remembered under. */
    credentialTag: text('credential_tag').notNull(),
    userAgent: text('user_agent'),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('devices_user_idx').on(t.userId)],
);

/** Every security decision, lift and admin action. Trimmed after its retention. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull(),
    type: text('type').notNull(),
    client: text('client'),
    actor: text('actor'),
    detail: text('detail').notNull(),
    data: jsonb('data'),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);

/** Standing decisions (blocked or suspicious), reloaded into memory on start. */
export const decisions = pgTable(
  'decisions',
  {
    client: text('client').notNull(),
    state: text('state', { enum: ['blocked', 'suspicious'] }).notNull(),
    /** `all` routes, or `sign-in` only (a time buffer): a client may hold one of each. */
    scope: text('scope', { enum: ['all', 'sign-in'] })
      .notNull()
      .default('all'),
    rule: text('rule').notNull(),
    reason: text('reason').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    decidedBy: text('decided_by').notNull(),
    enforced: boolean('enforced').notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.client, t.state, t.scope] })],
);

/** Past blocks per client, so a repeat offender is blocked for longer. */
export const blockHistory = pgTable('block_history', {
  client: text('client').primaryKey(),
  lastBlockedAt: ts('last_blocked_at').notNull(),
  lastDurationSeconds: integer('last_duration_seconds').notNull(),
  count: integer('count').notNull().default(1),
});

/** Allowlist and denylist entries (CIDR). */
export const listEntries = pgTable(
  'list_entries',
  {
    kind: text('kind', { enum: ['allow', 'deny'] }).notNull(),
    cidr: text('cidr').notNull(),
    note: text('note').notNull().default(''),
    createdAt: ts('created_at').notNull(),
    createdBy: text('created_by').notNull(),
    /** Null: until removed. Past it the entry no longer applies; the healing job deletes it. */
    expiresAt: ts('expires_at'),
  },
  (t) => [primaryKey({ columns: [t.kind, t.cidr] })],
);

/**
 * One row: this deployment's identity, made by whichever instance migrates first. Every
 * instance sharing the database reads the same id, so the Redis key prefix derived from it is
 * the same for them and different for any other deployment on the same Redis.
 */
export const deployment = pgTable('deployment', {
  singleton: boolean('singleton').primaryKey().default(true),
  id: uuid('id').notNull().defaultRandom(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/**
 * The overview's traffic history (`GET /admin/traffic`), one row per minute or hour bucket,
 * written once a minute by the sampler and read back at start, so a restart keeps it. Keyed by
 * granularity and bucket start: instances sampling the same merged series (Redis) write the same
 * row, and a write keeps the larger of each count, so nothing is counted twice.
 */
export const trafficBuckets = pgTable(
  'traffic_buckets',
  {
    granularity: text('granularity', { enum: ['minute', 'hour'] }).notNull(),
    start: ts('start').notNull(),
    requests: bigint('requests', { mode: 'number' }).notNull(),
    clientErrors: bigint('client_errors', { mode: 'number' }).notNull(),
    unauthorized: bigint('unauthorized', { mode: 'number' }).notNull(),
    blocks: bigint('blocks', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.granularity, t.start] })],
);
