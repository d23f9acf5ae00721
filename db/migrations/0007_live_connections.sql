CREATE TYPE "public"."certificate_state" AS ENUM('current', 'next', 'retired');--> statement-breakpoint
ALTER TABLE "connection_certificates" ADD COLUMN "state" "certificate_state" DEFAULT 'current' NOT NULL;--> statement-breakpoint
ALTER TABLE "connection_certificates" ADD COLUMN "retired_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sso_connections" ADD COLUMN "idp_metadata_url" text;