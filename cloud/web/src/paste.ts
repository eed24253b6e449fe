/**
 * Splits what an operator pastes into the bulk "Process" box: one id per line, or separated by
 * commas, semicolons, tabs or spaces (a spreadsheet column or a CSV row both work). Device ids are
 * UUIDs with hyphens; everything else is sent as a unit id, and the registry says which are wrong.
 */

/** One pasted entry, in the order pasted. */
export interface PastedEntry {
  /** As pasted (trimmed). */
  text: string;
  kind: 'deviceId' | 'unitId';
  /** 1-based line of the paste, so errors can point at it. */
  line: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function splitPaste(text: string): PastedEntry[] {
  const out: PastedEntry[] = [];
  text.split(/\r\n|\r|\n/).forEach((row, i) => {
    for (const part of row.split(/[\s,;]+/)) {
      // Quotes come along when a CSV cell is copied.
      const t = part.trim().replace(/^["']+|["']+$/g, '');
      if (t) out.push({ text: t, kind: UUID_RE.test(t) ? 'deviceId' : 'unitId', line: i + 1 });
    }
  });
  return out;
}

/** The body arrays of `POST /v1/devices/assign`. */
export function toAssignIds(entries: readonly PastedEntry[]): { deviceIds?: string[]; unitIds?: string[] } {
  const deviceIds = entries.filter((e) => e.kind === 'deviceId').map((e) => e.text);
  const unitIds = entries.filter((e) => e.kind === 'unitId').map((e) => e.text);
  return { ...(deviceIds.length ? { deviceIds } : {}), ...(unitIds.length ? { unitIds } : {}) };
}
