CREATE TABLE "connection_tests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"onboarding_id" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"passed" boolean NOT NULL,
	"vendor" text NOT NULL,
	"email" text,
	"email_matches_user" boolean NOT NULL,
	"clock_offset_ms" integer,
	"report" jsonb NOT NULL,
	"trace_id" text
);
--> statement-breakpoint
ALTER TABLE "saml_requests" ADD COLUMN "purpose" text DEFAULT 'login' NOT NULL;--> statement-breakpoint
ALTER TABLE "connection_tests" ADD CONSTRAINT "connection_tests_connection_id_sso_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sso_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connection_tests_connection_idx" ON "connection_tests" USING btree ("connection_id","at");