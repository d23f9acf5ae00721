ALTER TYPE "public"."migration_list_status" ADD VALUE 'draft';--> statement-breakpoint
ALTER TABLE "onboardings" ADD COLUMN "customer_id" text;--> statement-breakpoint
ALTER TABLE "pilot_users" ADD COLUMN "enabled_by_pilot" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Pilot users enabled before this column existed: their pilot's audit event says the pilot switched them on.
UPDATE "pilot_users" p SET "enabled_by_pilot" = true
WHERE EXISTS (SELECT 1 FROM "audit_events" a WHERE a."type" = 'user.sso_enabled' AND a."onboarding_id" = p."onboarding_id"
              AND a."user_sid" = p."user_sid" AND a."detail"->>'pilot' = 'true');
