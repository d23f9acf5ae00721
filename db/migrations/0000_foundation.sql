CREATE TYPE "public"."approval_step" AS ENUM('pilot', 'migration_list', 'go_ahead');--> statement-breakpoint
CREATE TYPE "public"."auth_method" AS ENUM('password', 'sso');--> statement-breakpoint
CREATE TYPE "public"."connection_status" AS ENUM('draft', 'active', 'disabled');--> statement-breakpoint
CREATE TYPE "public"."mail_status" AS ENUM('pending', 'sent', 'logged', 'failed');--> statement-breakpoint
CREATE TYPE "public"."migration_list_status" AS ENUM('building', 'ready', 'approved', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."migration_method" AS ENUM('domain', 'userSids', 'accountSids');--> statement-breakpoint
CREATE TYPE "public"."onboarding_stage" AS ENUM('config_intake', 'sp_details_sent', 'pilot', 'migration_list', 'list_review', 'enabling', 'awaiting_go_ahead', 'enforcing', 'completed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."sso_binding" AS ENUM('redirect', 'post');--> statement-breakpoint
CREATE TYPE "public"."sso_state" AS ENUM('none', 'enabled', 'enforced');--> statement-breakpoint
CREATE TABLE "accounts" (
	"sid" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_sid_format" CHECK ("accounts"."sid" ~ '^AC[0-9a-f]{32}$')
);
--> statement-breakpoint
CREATE TABLE "approval_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"onboarding_id" text NOT NULL,
	"step" "approval_step" NOT NULL,
	"approver_email" text NOT NULL,
	"subject_version" integer,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"decision" text,
	"superseded_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"type" text NOT NULL,
	"reason_code" text,
	"trace_id" text,
	"actor" text,
	"user_sid" text,
	"connection_id" text,
	"onboarding_id" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connection_certificates" (
	"connection_id" text NOT NULL,
	"fingerprint_sha256" text NOT NULL,
	"pem" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connection_certificates_connection_id_fingerprint_sha256_pk" PRIMARY KEY("connection_id","fingerprint_sha256")
);
--> statement-breakpoint
CREATE TABLE "consumed_assertions" (
	"connection_id" text NOT NULL,
	"assertion_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "consumed_assertions_connection_id_assertion_id_pk" PRIMARY KEY("connection_id","assertion_id")
);
--> statement-breakpoint
CREATE TABLE "mail_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"onboarding_id" text,
	"kind" text NOT NULL,
	"recipient" text NOT NULL,
	"subject" text NOT NULL,
	"text_body" text NOT NULL,
	"html_body" text NOT NULL,
	"status" "mail_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "memberships" (
	"account_sid" text NOT NULL,
	"user_sid" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memberships_account_sid_user_sid_pk" PRIMARY KEY("account_sid","user_sid")
);
--> statement-breakpoint
CREATE TABLE "migration_list_entries" (
	"list_id" text NOT NULL,
	"user_sid" text NOT NULL,
	"email" text NOT NULL,
	"flags" text[] DEFAULT '{}'::text[] NOT NULL,
	"excluded" boolean DEFAULT false NOT NULL,
	"enabled_at" timestamp with time zone,
	"enforced_at" timestamp with time zone,
	CONSTRAINT "migration_list_entries_list_id_user_sid_pk" PRIMARY KEY("list_id","user_sid")
);
--> statement-breakpoint
CREATE TABLE "migration_lists" (
	"id" text PRIMARY KEY NOT NULL,
	"onboarding_id" text NOT NULL,
	"version" integer NOT NULL,
	"method" "migration_method" NOT NULL,
	"params" jsonb NOT NULL,
	"status" "migration_list_status" DEFAULT 'building' NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"flagged" integer DEFAULT 0 NOT NULL,
	"excluded" integer DEFAULT 0 NOT NULL,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"rejection_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "onboardings" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"customer_name" text NOT NULL,
	"admin_email" text NOT NULL,
	"email_domains" text[] NOT NULL,
	"stage" "onboarding_stage" DEFAULT 'config_intake' NOT NULL,
	"options" jsonb NOT NULL,
	"connection_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "saml_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_sid" text NOT NULL,
	"auth_method" "auth_method" NOT NULL,
	"connection_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sso_connections" (
	"id" text PRIMARY KEY NOT NULL,
	"onboarding_id" text,
	"customer_name" text NOT NULL,
	"idp_entity_id" text NOT NULL,
	"sso_url" text NOT NULL,
	"sso_binding" "sso_binding" NOT NULL,
	"logout_redirect_url" text,
	"email_attribute" text,
	"email_domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" "connection_status" DEFAULT 'draft' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"sid" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text,
	"sso_state" "sso_state" DEFAULT 'none' NOT NULL,
	"connection_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_sid_format" CHECK ("users"."sid" ~ '^US[0-9a-f]{32}$'),
	CONSTRAINT "users_sso_needs_connection" CHECK ("users"."sso_state" = 'none' OR "users"."connection_id" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "approval_tokens" ADD CONSTRAINT "approval_tokens_onboarding_id_onboardings_id_fk" FOREIGN KEY ("onboarding_id") REFERENCES "public"."onboardings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_certificates" ADD CONSTRAINT "connection_certificates_connection_id_sso_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sso_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_account_sid_accounts_sid_fk" FOREIGN KEY ("account_sid") REFERENCES "public"."accounts"("sid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_sid_users_sid_fk" FOREIGN KEY ("user_sid") REFERENCES "public"."users"("sid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_list_entries" ADD CONSTRAINT "migration_list_entries_list_id_migration_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."migration_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_list_entries" ADD CONSTRAINT "migration_list_entries_user_sid_users_sid_fk" FOREIGN KEY ("user_sid") REFERENCES "public"."users"("sid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_lists" ADD CONSTRAINT "migration_lists_onboarding_id_onboardings_id_fk" FOREIGN KEY ("onboarding_id") REFERENCES "public"."onboardings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "onboardings" ADD CONSTRAINT "onboardings_connection_id_sso_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sso_connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_sid_users_sid_fk" FOREIGN KEY ("user_sid") REFERENCES "public"."users"("sid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_connection_id_sso_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sso_connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approval_tokens_hash_uq" ON "approval_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "approval_tokens_onboarding_idx" ON "approval_tokens" USING btree ("onboarding_id");--> statement-breakpoint
CREATE INDEX "audit_events_onboarding_idx" ON "audit_events" USING btree ("onboarding_id","at");--> statement-breakpoint
CREATE INDEX "audit_events_user_idx" ON "audit_events" USING btree ("user_sid","at");--> statement-breakpoint
CREATE INDEX "audit_events_type_idx" ON "audit_events" USING btree ("type","at");--> statement-breakpoint
CREATE INDEX "consumed_assertions_expires_idx" ON "consumed_assertions" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "mail_outbox_idempotency_uq" ON "mail_outbox" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "memberships_user_idx" ON "memberships" USING btree ("user_sid");--> statement-breakpoint
CREATE UNIQUE INDEX "migration_lists_version_uq" ON "migration_lists" USING btree ("onboarding_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "onboardings_workflow_uq" ON "onboardings" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "onboardings_stage_idx" ON "onboardings" USING btree ("stage");--> statement-breakpoint
CREATE INDEX "saml_requests_expires_idx" ON "saml_requests" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_sid");--> statement-breakpoint
CREATE UNIQUE INDEX "sso_connections_onboarding_uq" ON "sso_connections" USING btree ("onboarding_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_uq" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "users_email_domain_idx" ON "users" USING btree (lower(split_part("email", '@', 2)));