/**
 * Prometheus metrics (prom-client), one registry per app so tests can run many. Labels never carry
 * names, emails or unit ids: routes are the route pattern, statuses the code.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './store/db.js';

export function createMetrics(db: Db) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const count = (sql: string) => () => (db.prepare(sql).get() as { n: number }).n;
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge('fleet_accounts', 'Accounts in the tree', count('SELECT count(*) AS n FROM accounts'));
  gauge('fleet_users', 'Users', count('SELECT count(*) AS n FROM users'));
  gauge('fleet_devices', 'Registered (not decommissioned) devices', count('SELECT count(*) AS n FROM devices WHERE deleted_at IS NULL'));
  return {
    registry,
    httpRequests: new Counter({ name: 'fleet_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    loginFailures: new Counter({ name: 'fleet_login_failures_total', help: 'Failed logins (REST)', registers: [registry] }),
    mqttConnected: new Gauge({ name: 'fleet_mqtt_clients', help: 'Connected MQTT clients by kind', labelNames: ['kind'], registers: [registry] }),
    mqttMessages: new Counter({ name: 'fleet_mqtt_messages_total', help: 'MQTT messages by direction', labelNames: ['direction'], registers: [registry] }),
    mqttRefused: new Counter({ name: 'fleet_mqtt_refused_total', help: 'Refused MQTT logins, subscribes, publishes and connections', labelNames: ['what'], registers: [registry] }),
    records: new Counter({ name: 'fleet_telemetry_records_total', help: 'Telemetry records by outcome', labelNames: ['outcome'], registers: [registry] }),
    ackLatency: new Histogram({ name: 'fleet_telemetry_ack_seconds', help: 'Telemetry batch receive-to-ack latency', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
