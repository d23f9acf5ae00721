export function temporalCacheDir(): string;
export function findTemporalCli(): string | undefined;
export function ensureTemporalCli(log?: (message: string) => void): string;
export function temporalCliVersion(path: string): string;
