CREATE TABLE "pilot_users" (
	"onboarding_id" text NOT NULL,
	"user_sid" text NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"first_login_at" timestamp with time zone,
	CONSTRAINT "pilot_users_onboarding_id_user_sid_pk" PRIMARY KEY("onboarding_id","user_sid")
);
--> statement-breakpoint
ALTER TABLE "pilot_users" ADD CONSTRAINT "pilot_users_onboarding_id_onboardings_id_fk" FOREIGN KEY ("onboarding_id") REFERENCES "public"."onboardings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pilot_users" ADD CONSTRAINT "pilot_users_user_sid_users_sid_fk" FOREIGN KEY ("user_sid") REFERENCES "public"."users"("sid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pilot_users_user_idx" ON "pilot_users" USING btree ("user_sid");