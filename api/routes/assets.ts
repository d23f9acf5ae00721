import { Router } from 'express';
import { stylesheet } from '../pages/stylesheet.js';

/** The pages' one stylesheet: immutable under its content-hash URL, revalidated by ETag otherwise. */
export function assetsRouter(): Router {
  const router = Router();
  router.get('/assets/app.css', (req, res) => {
    const versioned = req.query.v === stylesheet.version;
    res.set('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    res.set('X-Content-Type-Options', 'nosniff');
    // The app computes no ETags (its pages are no-store); this one is the content hash, so it is free.
    res.set('ETag', `"${stylesheet.version}"`);
    res.type('text/css').send(stylesheet.body);
  });
  return router;
}
