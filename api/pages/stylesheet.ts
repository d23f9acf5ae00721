import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// Beside this module from sources and from dist/ alike: the build copies app.css next to dist/api/pages/stylesheet.js.
const body = readFileSync(new URL('./app.css', import.meta.url));
const version = createHash('sha256').update(body).digest('hex').slice(0, 12);

/** The one stylesheet, read once; its URL carries a content hash so browsers may cache it for good. */
export const stylesheet = { body, version, url: `/assets/app.css?v=${version}` } as const;
