// Monthly statements in the console: every user lists its statements (POST /statements) and
// downloads them through a short-lived link (POST /statement_download); an administrator picks a
// tenant (or all) and writes a month's statements on demand (POST /statement_generate).
// Totals stay the API's exact decimal strings; they are only grouped for reading, never rounded.
import { formatDecimalString } from './decimal.js';

const $ = (id) => document.getElementById(id);

function showError(id, err) {
  const node = $(id);
  node.textContent = err ? (err instanceof Error ? err.message : String(err)) : '';
  node.hidden = !err;
}

function filters(admin) {
  const body = {};
  const month = $('statements-month').value.trim();
  if (month) body.month = month;
  const tenant = admin ? $('statements-tenant').value.trim() : '';
  if (tenant) body.tenant = tenant;
  return body;
}

// The browser follows the presigned URL; S3 answers with Content-Disposition: attachment.
function follow(url) {
  const link = document.createElement('a');
  link.href = url;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
}

function downloadButton(api, busy, statement, format, admin) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = format.toUpperCase();
  button.dataset.format = format;
  button.setAttribute('aria-label', `Download the ${format.toUpperCase()} statement of ${statement.tenant} for ${statement.month}`);
  button.addEventListener('click', () =>
    busy(button, async () => {
      showError('statements-error', null);
      const body = { month: statement.month, format };
      if (admin) body.tenant = statement.tenant;
      try {
        follow((await api.post('statement_download', body)).url);
      } catch (err) {
        showError('statements-error', err);
      }
    }),
  );
  return button;
}

export function renderStatements(api, busy, list, admin) {
  const body = $('statements-table').tBodies[0];
  body.replaceChildren();
  const items = Array.isArray(list?.statements) ? list.statements : [];
  $('statements-empty').hidden = items.length > 0;
  for (const s of items) {
    const row = document.createElement('tr');
    row.dataset.tenant = s.tenant;
    row.dataset.month = s.month;
    const cells = [
      s.month,
      s.tenant,
      s.status,
      formatDecimalString(s.total_usd),
      s.needs_review ? 'yes: unpriced or unrecorded prices' : 'no',
    ];
    cells.forEach((value, index) => {
      const td = document.createElement('td');
      td.textContent = value ?? '';
      if (index === 3) {
        td.className = 'num';
        td.dataset.total = s.total_usd;
      }
      row.append(td);
    });
    const actions = document.createElement('td');
    actions.className = 'actions';
    for (const format of s.formats || []) actions.append(downloadButton(api, busy, s, format, admin));
    row.append(actions);
    body.append(row);
  }
}

export async function loadStatements(api, busy, admin) {
  showError('statements-error', null);
  await busy($('statements-load'), async () => {
    try {
      renderStatements(api, busy, await api.post('statements', filters(admin)), admin);
    } catch (err) {
      showError('statements-error', err);
    }
  });
}

export function showStatementAdmin(admin) {
  for (const node of document.querySelectorAll('[data-statements-admin]')) node.hidden = !admin;
}

export function wireStatements(api, busy, isAdmin) {
  $('statements-form').addEventListener('submit', (event) => {
    event.preventDefault();
    loadStatements(api, busy, isAdmin());
  });
  $('statements-generate-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('statements-generate-error', null);
    $('statements-generated').textContent = '';
    const month = $('statements-generate-month').value.trim();
    if (!/^\d{4}-\d{2}$/.test(month)) {
      showError('statements-generate-error', 'Pick a month (YYYY-MM).');
      return;
    }
    const body = { month };
    const tenant = $('statements-generate-tenant').value.trim();
    if (tenant) body.tenant = tenant;
    await busy($('statements-generate'), async () => {
      try {
        const written = (await api.post('statement_generate', body)).statements || [];
        $('statements-generated').textContent = written.length
          ? `Wrote ${written.length} statement${written.length === 1 ? '' : 's'} for ${month}.`
          : `No tenant had usage in ${month}: nothing written.`;
      } catch (err) {
        showError('statements-generate-error', err);
      }
    });
    await loadStatements(api, busy, isAdmin());
  });
}
