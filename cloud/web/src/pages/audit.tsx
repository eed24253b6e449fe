/** The audit log of the caller's subtree, newest first, one page at a time. */
import type { AuditEntry } from '../api.js';
import { formatTime } from '../format.js';
import { usePaged } from '../hooks.js';
import { DataTable, ErrorBox, Pager } from '../ui.js';

function actorText(a: AuditEntry['actor']): string {
  if (a.kind === 'user') return a.email ?? 'a deleted user';
  if (a.kind === 'ancestor') return 'An administrator above your account';
  return 'The registry';
}

function changeText(e: AuditEntry): string {
  const show = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));
  const before = show(e.before);
  const after = show(e.after);
  if (before && after) return `${before} → ${after}`;
  return after || before;
}

export function AuditPage() {
  const list = usePaged<AuditEntry>('/v1/audit', { limit: 50 });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <ErrorBox error={list.error} />
      <DataTable label="Audit entries" busy={list.loading} columns={['Time', 'Who', 'Action', 'Resource', 'Change']}>
        {list.items.map((e) => (
          <tr key={e.seq}>
            <td>{formatTime(e.ts)}</td>
            <td>{actorText(e.actor)}</td>
            <td>{e.action}</td>
            <td>
              {e.resource.type} <span class="mono small">{e.resource.id ?? ''}</span>
            </td>
            <td class="mono small change">{changeText(e)}</td>
          </tr>
        ))}
      </DataTable>
      <Pager label="Audit pages" hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next} />
    </section>
  );
}
