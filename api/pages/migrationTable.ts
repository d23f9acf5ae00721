import type { MigrationListHeader, MigrationListRow } from '../../domain/migrationListPages.js';
import { flagWords, plural } from './components.js';
import { html, type SafeHtml } from './html.js';

export interface ListPage {
  items: MigrationListRow[];
  page: number;
  pageCount: number;
  matching: number;
  filter: 'all' | 'flagged';
}

const flagList = (flags: string[]) =>
  flags.length === 0
    ? html`<span class="muted">none</span>`
    : flags.map((f, i) => html`${i > 0 ? ', ' : ''}<span class="badge warn">${flagWords[f] ?? f.replaceAll('_', ' ')}</span>`);

export function listStats(list: Pick<MigrationListHeader, 'total' | 'flagged' | 'excluded'>): SafeHtml {
  return html`<ul class="stats" aria-label="Migration list counts">
<li><strong data-count="total">${list.total.toLocaleString('en')}</strong> users</li>
<li><strong data-count="flagged">${list.flagged.toLocaleString('en')}</strong> flagged</li>
<li><strong data-count="excluded">${list.excluded.toLocaleString('en')}</strong> excluded</li>
</ul>
<p class="hint">Flagged users have an address outside your email domains, or look like an alias or shared mailbox (such as sales@ or name+tag@). They are listed so you can check them; they stay on the list unless excluded.</p>`;
}

/**
 * The approver's table: a checkbox per user of this page to exclude, and the users ticked on other
 * pages in ONE hidden field, so a page posts at most its own rows as fields however many are ticked
 * (the route refuses forms of more fields, which once cost seconds of event loop to parse).
 */
export function reviewTable(page: ListPage, ticked: Set<string>): SafeHtml {
  const onPage = new Set(page.items.map((e) => e.userSid));
  const rows = page.items.map(
    (e) =>
      html`<tr><td>${
        e.excluded
          ? html`<span class="badge">excluded</span>`
          : html`<input type="checkbox" name="exclude" value="${e.userSid}" id="x-${e.userSid}"${ticked.has(e.userSid) ? html` checked` : ''}>`
      }</td><td>${e.excluded ? e.email : html`<label for="x-${e.userSid}"><span class="vh">Exclude </span>${e.email}</label>`}</td><td>${flagList(e.flags)}</td><td><code>${e.userSid}</code></td></tr>`,
  );
  const carried = [...ticked].filter((sid) => !onPage.has(sid));
  return html`${filterButtons(page.filter)}
<div class="table-wrap"><table><caption>${caption(page)}</caption>
<thead><tr><th scope="col">Exclude</th><th scope="col">Email</th><th scope="col">Flags</th><th scope="col">User ID</th></tr></thead>
<tbody>${rows}</tbody></table></div>${carried.length > 0 && html`<input type="hidden" name="excluded" value="${carried.join(' ')}">`}
${pagerButtons(page)}
${carried.length > 0 && html`<p>${plural(carried.length, 'user')} ticked on other pages will be excluded too.</p>`}`;
}

/** Support's read-only table, with where each user is in the rollout. */
export function statusTable(page: ListPage, href: (page: number, filter: ListPage['filter']) => string): SafeHtml {
  const state = (e: MigrationListRow) => (e.excluded ? 'excluded' : e.enforced ? 'enforced' : e.enabled ? 'enabled' : 'listed');
  const rows = page.items.map(
    (e) =>
      html`<tr><td>${e.email}</td><td>${flagList(e.flags)}</td><td><span class="badge">${state(e)}</span></td><td><code>${e.userSid}</code></td></tr>`,
  );
  const other: ListPage['filter'] = page.filter === 'all' ? 'flagged' : 'all';
  return html`<p><a href="${href(1, other)}">${other === 'flagged' ? 'Show only flagged users' : 'Show all users'}</a></p>
<div class="table-wrap"><table><caption>${caption(page)}</caption>
<thead><tr><th scope="col">Email</th><th scope="col">Flags</th><th scope="col">Rollout</th><th scope="col">User ID</th></tr></thead>
<tbody>${rows}</tbody></table></div>
<nav class="pager" aria-label="Migration list pages">${page.page > 1 && html`<a class="button secondary" href="${href(page.page - 1, page.filter)}">Previous page</a>`}
<span>Page ${page.page} of ${page.pageCount}</span>${page.page < page.pageCount && html`<a class="button secondary" href="${href(page.page + 1, page.filter)}">Next page</a>`}</nav>`;
}

const caption = (page: ListPage) =>
  `${page.filter === 'flagged' ? 'Flagged users' : 'Users'}: ${plural(page.matching, 'user')}, page ${page.page} of ${page.pageCount}`;

// Paging and filtering post the same form (`action`), so ticks travel to the next page without script,
// and without putting thousands of SIDs in a URL as paging by GET did. They never decide anything.
function pagerButtons(page: ListPage): SafeHtml {
  return html`<div class="pager" role="group" aria-label="Migration list pages"><input type="hidden" name="show" value="${page.filter}">
${page.page > 1 && html`<button type="submit" class="secondary" formnovalidate name="action" value="page:${page.page - 1}">Previous page</button>`}
<span>Page ${page.page} of ${page.pageCount}</span>
${page.page < page.pageCount && html`<button type="submit" class="secondary" formnovalidate name="action" value="page:${page.page + 1}">Next page</button>`}</div>`;
}

function filterButtons(filter: ListPage['filter']): SafeHtml {
  return filter === 'all'
    ? html`<p><button type="submit" class="link" formnovalidate name="action" value="view:flagged">Show only flagged users</button></p>`
    : html`<p><button type="submit" class="link" formnovalidate name="action" value="view:all">Show all users</button></p>`;
}
