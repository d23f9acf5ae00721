CREATE TABLE "approval_exclusions" (
	"token_id" text NOT NULL,
	"user_sid" text NOT NULL,
	CONSTRAINT "approval_exclusions_token_id_user_sid_pk" PRIMARY KEY("token_id","user_sid")
);
--> statement-breakpoint
CREATE TABLE "domain_claims" (
	"domain" text PRIMARY KEY NOT NULL,
	"onboarding_id" text,
	"connection_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"verified_at" timestamp with time zone,
	"verification_method" text,
	"verified_by" text,
	"verification_note" text,
	CONSTRAINT "domain_claims_holder" CHECK ("domain_claims"."onboarding_id" IS NOT NULL OR "domain_claims"."connection_id" IS NOT NULL),
	CONSTRAINT "domain_claims_lowercase" CHECK ("domain_claims"."domain" = lower("domain_claims"."domain"))
);
--> statement-breakpoint
ALTER TABLE "migration_list_entries" ADD COLUMN "previous_sso_state" "sso_state";--> statement-breakpoint
ALTER TABLE "migration_list_entries" ADD COLUMN "previous_connection_id" text;--> statement-breakpoint
ALTER TABLE "approval_exclusions" ADD CONSTRAINT "approval_exclusions_token_id_approval_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."approval_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_claims" ADD CONSTRAINT "domain_claims_onboarding_id_onboardings_id_fk" FOREIGN KEY ("onboarding_id") REFERENCES "public"."onboardings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_claims" ADD CONSTRAINT "domain_claims_connection_id_sso_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sso_connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "domain_claims_onboarding_idx" ON "domain_claims" USING btree ("onboarding_id");--> statement-breakpoint
CREATE INDEX "domain_claims_connection_idx" ON "domain_claims" USING btree ("connection_id");--> statement-breakpoint
-- Connections that were live before claims existed keep their domains, oldest first (a later duplicate
-- claim is dropped, so discovery keeps the answer the oldest connection gave); they count as verified.
INSERT INTO "domain_claims" ("domain", "onboarding_id", "connection_id", "created_at", "verified_at", "verification_method", "verified_by", "verification_note")
SELECT lower(d.domain), c.onboarding_id, c.id, c.created_at, CASE WHEN c.status = 'active' THEN now() END,
       CASE WHEN c.status = 'active' THEN 'legacy' END, CASE WHEN c.status = 'active' THEN 'migration' END,
       CASE WHEN c.status = 'active' THEN 'active before domain verification existed' END
FROM "sso_connections" c CROSS JOIN LATERAL unnest(c.email_domains) AS d(domain)
WHERE c.status <> 'disabled'
ORDER BY c.created_at, c.id
ON CONFLICT ("domain") DO NOTHING;--> statement-breakpoint
INSERT INTO "domain_claims" ("domain", "onboarding_id", "created_at")
SELECT lower(d.domain), o.id, o.created_at
FROM "onboardings" o CROSS JOIN LATERAL unnest(o.email_domains) AS d(domain)
WHERE o.stage NOT IN ('completed', 'cancelled')
ORDER BY o.created_at, o.id
ON CONFLICT ("domain") DO NOTHING;
