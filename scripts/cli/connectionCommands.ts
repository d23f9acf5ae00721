import type { Command } from './args.js';

/** Placeholder: filled in by #13 item 4. */
export const connectionCommands: Record<string, Command> = {};
