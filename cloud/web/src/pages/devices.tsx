/**
 * The device list: server-side search (`q` matches unit id, device id or name), optional owner
 * filter, one page at a time. "Applied" means the agent acknowledged the current epoch.
 */
import { useState } from 'preact/hooks';
import type { Device } from '../api.js';
import { formatTime } from '../format.js';
import { useDebounced, usePaged } from '../hooks.js';
import { accountName, mayAssign, useSession } from '../session.js';
import { AccountOptions, DataTable, ErrorBox, Field, Link, Pager } from '../ui.js';

export const DEVICE_PAGE = 50;

export function DevicesPage() {
  const session = useSession();
  const { me, accounts } = session;
  const [q, setQ] = useState('');
  const [owner, setOwner] = useState('');
  const search = useDebounced(q.trim(), 250);
  const list = usePaged<Device>('/v1/devices', { q: search || undefined, accountId: owner || undefined, limit: DEVICE_PAGE });

  return (
    <section aria-labelledby="devices-title">
      <div class="page-head">
        <h1 id="devices-title">Devices</h1>
        {mayAssign(me) ? (
          <Link href="/devices/manage" class="button primary">
            Manage devices
          </Link>
        ) : null}
      </div>
      <div class="filters" role="search">
        <Field label="Search devices" hint="Unit id, device id or name">
          <input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </Field>
        <Field label="Customer">
          <select value={owner} onChange={(e) => setOwner(e.currentTarget.value)}>
            <option value="">All I can see</option>
            <AccountOptions accounts={accounts} base={me.account.depth} />
          </select>
        </Field>
      </div>
      <ErrorBox error={list.error} />
      <DataTable label="Devices" busy={list.loading} columns={['Name', 'Unit id', 'Customer', 'Epoch', 'Settings', 'Last seen']}>
        {list.items.map((d) => (
          <tr key={d.id}>
            <td>
              <Link href={`/devices/${d.id}`}>{d.name || d.unitId}</Link>
            </td>
            <td class="mono">{d.unitId}</td>
            <td>{accountName(session, d.accountId)}</td>
            <td>{d.epoch}</td>
            <td>{d.appliedEpoch === d.epoch ? <span class="badge ok">Applied</span> : <span class="badge pending">Pending</span>}</td>
            <td>{formatTime(d.lastSeen)}</td>
          </tr>
        ))}
        {!list.loading && list.items.length === 0 ? (
          <tr>
            <td colSpan={6}>No devices{search ? ` match “${search}”` : ''}.</td>
          </tr>
        ) : null}
      </DataTable>
      <Pager label="Device pages" hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next} />
    </section>
  );
}
