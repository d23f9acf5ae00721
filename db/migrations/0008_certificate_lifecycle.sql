CREATE TABLE "certificate_absences" (
	"connection_id" text NOT NULL,
	"fingerprint_sha256" text NOT NULL,
	"missing_since" timestamp with time zone NOT NULL,
	CONSTRAINT "certificate_absences_connection_id_fingerprint_sha256_pk" PRIMARY KEY("connection_id","fingerprint_sha256")
);
--> statement-breakpoint
CREATE TABLE "certificate_reminders" (
	"connection_id" text NOT NULL,
	"fingerprint_sha256" text NOT NULL,
	"threshold_seconds" integer NOT NULL,
	"mailed" boolean NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "certificate_reminders_connection_id_fingerprint_sha256_threshold_seconds_pk" PRIMARY KEY("connection_id","fingerprint_sha256","threshold_seconds")
);
--> statement-breakpoint
CREATE TABLE "metadata_refreshes" (
	"connection_id" text PRIMARY KEY NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"failing_since" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "certificate_absences" ADD CONSTRAINT "certificate_absences_certificate_fk" FOREIGN KEY ("connection_id","fingerprint_sha256") REFERENCES "public"."connection_certificates"("connection_id","fingerprint_sha256") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificate_reminders" ADD CONSTRAINT "certificate_reminders_connection_id_sso_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sso_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metadata_refreshes" ADD CONSTRAINT "metadata_refreshes_connection_id_sso_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sso_connections"("id") ON DELETE cascade ON UPDATE no action;