/**
 * One device: its latest telemetry (stored records, then live ones through MQTT over WebSocket),
 * the values that matter at a glance (position, speed, RPM) and its ownership history.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, describe, type Device, type OwnershipAnswer, type TelemetryRecord } from '../api.js';
import { formatTime } from '../format.js';
import { latestRecords } from '../latest-records.js';
import { useLiveTelemetry, type LiveState } from '../live.js';
import { latestReadings, summarize } from '../readings.js';
import { accountName, useSession } from '../session.js';
import { DataTable, ErrorBox, Link } from '../ui.js';
import { DeviceRename } from './device-rename.js';

const STORED = 50;
const LIVE_WORDS: Record<LiveState, string> = {
  connecting: 'Connecting to live data…',
  live: 'Live: new records appear as they arrive.',
  offline: 'Live data unavailable; retrying.',
  refused: 'Live data is not available for your account.',
};

export function DevicePage({ id }: { id: string }) {
  const session = useSession();
  const [device, setDevice] = useState<Device | null>(null);
  const [ownership, setOwnership] = useState<OwnershipAnswer | null>(null);
  const [stored, setStored] = useState<TelemetryRecord[]>([]);
  const [error, setError] = useState<string | null>(null);
  const live = useLiveTelemetry(session.me, device?.unitId);

  useEffect(() => {
    let on = true;
    setError(null);
    const base = `/v1/devices/${encodeURIComponent(id)}`;
    // The device itself decides the page; history and records are extras that may fail alone.
    Promise.all([
      api<Device>('GET', base),
      api<OwnershipAnswer>('GET', `${base}/ownership`).catch(() => null),
      latestRecords(id, STORED).catch(() => []),
    ])
      .then(([d, o, t]) => on && (setDevice(d), setOwnership(o), setStored(t)))
      .catch((e: unknown) => on && setError(describe(e)));
    return () => {
      on = false;
    };
  }, [id]);

  if (error)
    return (
      <section>
        <h1>Device</h1>
        <ErrorBox error={error} />
        <Link href="/devices">Back to devices</Link>
      </section>
    );
  if (!device) return <p role="status">Loading…</p>;
  const records = [...live.records, ...stored].sort((a, b) => b.ts - a.ts).slice(0, STORED);
  return (
    <section aria-labelledby="device-title">
      <div class="page-head">
        <h1 id="device-title">{device.name || device.unitId}</h1>
        <div class="actions">
          {session.me.user.deviceAccess === 'full' ? <DeviceRename device={device} onSaved={setDevice} /> : null}
          <Link href="/devices">Back to devices</Link>
        </div>
      </div>
      <dl class="facts">
        <dt>Unit id</dt>
        <dd class="mono">{device.unitId}</dd>
        <dt>Customer</dt>
        <dd>{accountName(session, device.accountId)}</dd>
        <dt>Epoch</dt>
        <dd>
          {device.epoch} ({device.appliedEpoch === device.epoch ? 'applied by the device' : 'pending on the device'})
        </dd>
        <dt>Last seen</dt>
        <dd>{formatTime(device.lastSeen)}</dd>
        <dt>Agent</dt>
        <dd>{device.agentVersion ?? 'unknown'}</dd>
        <dt>VIN</dt>
        <dd class="mono">{device.vin ?? 'unknown'}</dd>
      </dl>
      <LatestPanel records={records} state={live.state} />
      <RecordsTable records={records} />
      {ownership ? <OwnershipTable ownership={ownership} /> : null}
    </section>
  );
}

function osmLink(lat: number, lon: number): string {
  const la = lat.toFixed(5);
  const lo = lon.toFixed(5);
  return `https://www.openstreetmap.org/?mlat=${la}&mlon=${lo}#map=15/${la}/${lo}`;
}

function LatestPanel({ records, state }: { records: TelemetryRecord[]; state: LiveState }) {
  const l = latestReadings(records);
  const fixed = (v: number | undefined, digits: number, unit: string) => (v === undefined ? '—' : `${v.toFixed(digits)} ${unit}`);
  return (
    <section class="panel wide" aria-labelledby="latest-title">
      <h2 id="latest-title">Latest telemetry</h2>
      <p role="status" class={`live ${state}`} data-testid="live-state">
        {LIVE_WORDS[state]}
      </p>
      <dl class="gauges">
        <div>
          <dt>Position</dt>
          <dd data-testid="position">{l.lat === undefined || l.lon === undefined ? '—' : `${l.lat.toFixed(5)}, ${l.lon.toFixed(5)}`}</dd>
          {l.lat === undefined || l.lon === undefined ? null : (
            <dd class="small">
              {/* A link, not an embedded map: nothing leaves the console unless the user follows it. */}
              <a href={osmLink(l.lat, l.lon)} target="_blank" rel="noopener noreferrer">
                Show on OpenStreetMap
              </a>
            </dd>
          )}
        </div>
        <div>
          <dt>Speed</dt>
          <dd data-testid="speed">{fixed(l.speedKmh, 0, 'km/h')}</dd>
        </div>
        <div>
          <dt>RPM</dt>
          <dd data-testid="rpm">{fixed(l.rpm, 0, 'rpm')}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{formatTime(l.ts)}</dd>
        </div>
      </dl>
    </section>
  );
}

function RecordsTable({ records }: { records: TelemetryRecord[] }) {
  return (
    <DataTable label="Recent records" columns={['Time', 'Kind', 'Epoch', 'Values']}>
      {records.map((r) => (
        <tr key={`${r.stream ?? ''}-${r.seq}-${r.ts}`}>
          <td>{formatTime(r.ts)}</td>
          <td>{r.kind}</td>
          <td>{r.epoch}</td>
          <td class="mono small">{summarize(r.data)}</td>
        </tr>
      ))}
      {records.length === 0 ? (
        <tr>
          <td colSpan={4}>No records yet.</td>
        </tr>
      ) : null}
    </DataTable>
  );
}

function OwnershipTable({ ownership }: { ownership: OwnershipAnswer }) {
  const session = useSession();
  const rows = [...ownership.history].sort((a, b) => b.epoch - a.epoch);
  return (
    <section aria-labelledby="ownership-title">
      <h2 id="ownership-title">Ownership history</h2>
      <p>
        Current owner {accountName(session, ownership.accountId)}, epoch {ownership.epoch}:{' '}
        {ownership.applied ? 'applied by the device.' : 'not yet applied by the device.'}
      </p>
      <DataTable label="Ownership history" columns={['Epoch', 'Customer', 'From', 'To']}>
        {rows.map((h) => (
          <tr key={h.epoch}>
            <td>{h.epoch}</td>
            <td>{accountName(session, h.accountId)}</td>
            <td>{formatTime(h.from)}</td>
            <td>{h.to === null ? 'now' : formatTime(h.to)}</td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
