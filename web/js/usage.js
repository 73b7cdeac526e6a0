// Usage rows as the retrieval API returns them, grouped and totalled exactly.
import { add, format, parseDecimal, sum, ZERO } from './decimal.js';

export const TOKEN_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_write_input_tokens'];
export const COST_FIELDS = ['input_cost', 'output_cost', 'cache_read_cost', 'cache_write_cost', 'total_cost'];

function integer(value) {
  try {
    return parseDecimal(value ?? 0);
  } catch {
    return ZERO;
  }
}

function decimal(value) {
  try {
    return parseDecimal(value ?? 0);
  } catch {
    return ZERO;
  }
}

// One row in the console's own shape; every field a string or a decimal, never trusted as markup.
export function normalizeRow(item) {
  const row = {
    date: String(item.date ?? ''),
    tenant: String(item.name ?? item.tenant_id ?? item.pk ?? ''),
    model_id: String(item.model_id ?? ''),
    invocations: integer(item.invocations),
    unpriced: item.unpriced === true || item.unpriced === 'true',
  };
  for (const f of TOKEN_FIELDS) row[f] = integer(item[f]);
  for (const f of COST_FIELDS) row[f] = decimal(item[f]);
  if (item.total_cost === undefined || item.total_cost === null) {
    row.total_cost = sum([row.input_cost, row.output_cost, row.cache_read_cost, row.cache_write_cost]);
  }
  return row;
}

export function sortRows(rows) {
  return [...rows].sort(
    (a, b) => a.date.localeCompare(b.date) || a.tenant.localeCompare(b.tenant) || a.model_id.localeCompare(b.model_id),
  );
}

export function totals(rows) {
  const t = { invocations: ZERO, total_cost: ZERO };
  for (const f of TOKEN_FIELDS) t[f] = ZERO;
  for (const f of COST_FIELDS) t[f] = ZERO;
  for (const r of rows) {
    t.invocations = add(t.invocations, r.invocations);
    for (const f of TOKEN_FIELDS) t[f] = add(t[f], r[f]);
    for (const f of COST_FIELDS) t[f] = add(t[f], r[f]);
  }
  t.unpriced = rows.some((r) => r.unpriced);
  return t;
}

export function groupBy(rows, keyOf) {
  const groups = new Map();
  for (const r of rows) {
    const key = keyOf(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return groups;
}

// {categories: days, series: [{name, values: [decimal]}]} for the stacked bar chart.
export function pivot(rows, seriesOf, valueOf) {
  const days = [...new Set(rows.map((r) => r.date))].sort();
  const names = [...new Set(rows.map(seriesOf))].sort();
  const series = names.map((name) => ({
    name,
    values: days.map((day) =>
      rows.filter((r) => r.date === day && seriesOf(r) === name).reduce((acc, r) => add(acc, valueOf(r)), ZERO),
    ),
  }));
  return { categories: days, series };
}

const CSV_COLUMNS = [
  'date', 'tenant', 'model_id', 'invocations', ...TOKEN_FIELDS, ...COST_FIELDS, 'unpriced',
];

function csvCell(value) {
  let text = String(value);
  // A spreadsheet must not run a tenant-controlled string as a formula.
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows) {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      CSV_COLUMNS.map((c) => {
        const v = r[c];
        if (typeof v === 'boolean') return v ? 'true' : 'false';
        if (v && typeof v === 'object' && 'coef' in v) return format(v);
        return csvCell(v ?? '');
      }).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
