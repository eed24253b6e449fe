/**
 * Reading an operator's import: a JSON list or a CSV text (RFC 4180: comma-separated, fields may be
 * double-quoted with `""` for a quote, CRLF or LF line ends, header line required) into rows, and
 * checking every row so one answer lists every problem. No I/O: the caller passes what it knows.
 */
import { ImportRowSchema } from '../../protocol/api.js';
import { UNIT_ID_RE } from '../../protocol/topics.js';

/** One problem in one row; `row` counts devices from 1 (a CSV's header is not a row). */
export interface RowError {
  row: number;
  field: string;
  message: string;
}

export interface ImportRow {
  /** Position in the import, from 1. */
  row: number;
  unitId: string;
  name?: string;
  accountId?: string;
}

const COLUMNS = ['unitId', 'name', 'accountId'] as const;

/** Splits CSV text into records of fields (quotes handled, blank lines dropped). */
export function splitCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let rec: string[] = [];
  let quoted = false;
  const endRecord = () => {
    rec.push(field);
    if (rec.length > 1 || rec[0]!.trim() !== '') records.push(rec);
    rec = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') (quoted = true), (field = '');
    else if (c === ',') rec.push(field), (field = '');
    else if (c === '\n') endRecord();
    else if (c !== '\r') field += c;
  }
  if (field !== '' || rec.length > 0) endRecord();
  return records;
}

/** CSV text to raw rows, or the header's problems (row 0). */
export function parseCsv(text: string): { rows: unknown[]; errors: RowError[] } {
  const [header, ...lines] = splitCsv(text.replace(/^\uFEFF/, ''));
  const names = (header ?? []).map((h) => h.trim());
  const errors: RowError[] = [];
  names.forEach((n) => {
    if (!(COLUMNS as readonly string[]).includes(n)) errors.push({ row: 0, field: n, message: `unknown column; the header is ${COLUMNS.join(',')}` });
  });
  if (!names.includes('unitId')) errors.push({ row: 0, field: 'unitId', message: 'the header must name the unitId column' });
  if (errors.length > 0) return { rows: [], errors };
  const rows = lines.map((fields, i) => {
    if (fields.length > names.length) errors.push({ row: i + 1, field: 'row', message: `${fields.length} fields, the header has ${names.length}` });
    const row: Record<string, string> = {};
    names.forEach((n, j) => {
      const v = fields[j]?.trim();
      if (v) row[n] = v;
    });
    return row;
  });
  return { rows, errors };
}

/**
 * Checks each row's shape, normalises the unit id (trimmed, lower-cased, as the agent reports it)
 * and flags unit ids repeated within the import. Account and registry checks are the caller's.
 */
export function checkRows(raw: readonly unknown[]): { rows: ImportRow[]; errors: RowError[] } {
  const errors: RowError[] = [];
  const rows: ImportRow[] = [];
  const firstRow = new Map<string, number>();
  raw.forEach((value, i) => {
    const row = i + 1;
    const v = value as { unitId?: unknown } | null;
    const normal = v && typeof v === 'object' && typeof v.unitId === 'string' ? { ...v, unitId: v.unitId.trim().toLowerCase() } : value;
    const parsed = ImportRowSchema.safeParse(normal);
    if (!parsed.success) {
      const fields = new Set<string>();
      for (const issue of parsed.error.issues) {
        const keys = (issue as { keys?: string[] }).keys;
        const field = keys?.length ? keys.join(',') : String(issue.path[0] ?? 'row');
        // One message per field: an empty name fails both "min 1" and "not blank".
        if (!fields.has(field)) errors.push({ row, field, message: issue.message });
        fields.add(field);
      }
      return;
    }
    const r = parsed.data;
    if (!UNIT_ID_RE.test(r.unitId)) return void errors.push({ row, field: 'unitId', message: 'lower-case hex, 12 to 32 characters' });
    const first = firstRow.get(r.unitId);
    if (first !== undefined) return void errors.push({ row, field: 'unitId', message: `the same unit id as row ${first}` });
    firstRow.set(r.unitId, row);
    rows.push({ ...r, row });
  });
  return { rows, errors };
}
