ALTER TABLE "decisions" ADD COLUMN "scope" text DEFAULT 'all' NOT NULL;--> statement-breakpoint
UPDATE "decisions" SET "scope" = 'sign-in' WHERE "state" = 'blocked' AND "rule" IN ('failed-logins', 'successful-logins');--> statement-breakpoint
ALTER TABLE "decisions" DROP CONSTRAINT "decisions_client_state_pk";--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_client_state_scope_pk" PRIMARY KEY("client","state","scope");
