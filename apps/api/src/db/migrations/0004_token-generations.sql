CREATE TABLE "revocations" (
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"generation" integer,
	"expires_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "revocations_kind_key_pk" PRIMARY KEY("kind","key")
);
--> statement-breakpoint
ALTER TABLE "refresh_families" ADD COLUMN "rotated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "refresh_families" ADD COLUMN "rotated_by" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "token_generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "revocations_recorded_at_idx" ON "revocations" USING btree ("recorded_at");;--> statement-breakpoint
-- Logged-out tokens stay revoked across the upgrade. (Tokens issued before it carry no generation and are refused anyway.)
INSERT INTO "revocations" ("kind", "key", "expires_at") SELECT 'jti', "jti", "expires_at" FROM "revoked_tokens" WHERE "expires_at" > now();--> statement-breakpoint
DROP TABLE "revoked_tokens" CASCADE;--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "tokens_valid_after";
