// The SMTP sink lives beside `npm run dev`'s mail viewer, which runs the same one (scripts/local/smtpSink.ts).
export * from '../../scripts/local/smtpSink.js';
