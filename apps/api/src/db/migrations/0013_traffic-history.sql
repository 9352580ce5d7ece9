CREATE TABLE "traffic_buckets" (
	"granularity" text NOT NULL,
	"start" timestamp with time zone NOT NULL,
	"requests" bigint NOT NULL,
	"client_errors" bigint NOT NULL,
	"unauthorized" bigint NOT NULL,
	"blocks" bigint NOT NULL,
	CONSTRAINT "traffic_buckets_granularity_start_pk" PRIMARY KEY("granularity","start")
);
