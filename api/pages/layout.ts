import { escapeHtml } from '../http.js';

/** The one page shell: plain HTML, one small inline stylesheet, no scripts. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1b1f24}
main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #8a94a0;border-radius:4px;font:inherit}
button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:4px;background:#0b57d0;color:#fff;font:inherit;cursor:pointer}
button:focus,input:focus{outline:3px solid #f9ab00;outline-offset:1px}.muted{color:#4a5360}code{background:#eef0f3;padding:0 .3rem}
</style></head><body><main>${body}</main></body></html>`;
}
export { escapeHtml };
