/**
 * Versioned schema migrations, applied in order at start inside one transaction each; the applied
 * version is PRAGMA user_version. Never edit a shipped migration: append a new one.
 *
 * Accounts form a tree stored as a materialized path (`/rootId/childId/.../`, indexed): a subtree
 * is one index range scan, and "does A see B" is a prefix test on two paths (docs/decisions.md).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES accounts(id),
    path TEXT NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
  );
  CREATE INDEX accounts_parent ON accounts(parent_id);

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    device_access TEXT NOT NULL CHECK (device_access IN ('none','read','full')),
    account_admin INTEGER NOT NULL CHECK (account_admin IN (0,1)),
    created_at INTEGER NOT NULL
  );
  CREATE INDEX users_account ON users(account_id);

  -- Session and API tokens: only a SHA-256 of the 256-bit random secret is stored.
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('session','api')),
    name TEXT NOT NULL,
    secret_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
  );
  CREATE INDEX tokens_user ON tokens(user_id, kind);

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    actor_id TEXT,
    actor_email TEXT,
    actor_path TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT,
    scope_path TEXT NOT NULL,
    before TEXT,
    after TEXT
  );
  CREATE INDEX audit_scope ON audit(scope_path, seq);

  -- Devices are soft-deleted (decommissioned) so a unit id registered again continues its epochs
  -- and old owners keep their history.
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- No foreign key: decommissioned devices keep their last owner while the account may go.
    account_id TEXT NOT NULL,
    account_path TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    applied_epoch INTEGER,
    applied_issued_at INTEGER,
    secret_hash TEXT NOT NULL,
    last_seen INTEGER,
    agent_version TEXT,
    vin TEXT,
    queue TEXT,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE UNIQUE INDEX devices_unit_live ON devices(unit_id) WHERE deleted_at IS NULL;
  CREATE INDEX devices_unit ON devices(unit_id, epoch);
  CREATE INDEX devices_owner ON devices(account_id) WHERE deleted_at IS NULL;
  CREATE INDEX devices_path ON devices(account_path, id) WHERE deleted_at IS NULL;

  CREATE TABLE ownership (
    device_id TEXT NOT NULL REFERENCES devices(id),
    epoch INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    account_path TEXT NOT NULL,
    from_ts INTEGER NOT NULL,
    to_ts INTEGER,
    PRIMARY KEY (device_id, epoch)
  ) WITHOUT ROWID;

  -- Telemetry rows carry small integer keys instead of text: a device's uuid, an owner (account id
  -- and path) and a stream id are stored once each below, so the unique key is (stream_key, seq)
  -- and the read index (device_key, ts): short index entries and about a third of the row size.
  -- Keys are never reused or changed (device ids and account paths never change).
  CREATE TABLE telemetry_devices (
    key INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL UNIQUE
  );
  CREATE TABLE telemetry_owners (
    key INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL UNIQUE,
    account_path TEXT NOT NULL
  );
  CREATE INDEX telemetry_owners_path ON telemetry_owners(account_path);

  -- Per device and stream: the highest seq below which everything is committed or refused.
  CREATE TABLE streams (
    key INTEGER PRIMARY KEY,
    device_key INTEGER NOT NULL REFERENCES telemetry_devices(key),
    stream TEXT NOT NULL,
    up_to INTEGER NOT NULL,
    UNIQUE (device_key, stream)
  );

  -- A rowid table: rows are appended in arrival order, so pruning walks the rowid from the start
  -- and needs no index of its own; (stream, seq) is unique for idempotent inserts.
  CREATE TABLE telemetry_rows (
    device_key INTEGER NOT NULL,
    stream_key INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    owner_key INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (stream_key, seq)
  );
  CREATE INDEX telemetry_device_ts ON telemetry_rows(device_key, ts);

  -- The rows with their keys resolved, for reading by hand and in tests.
  CREATE VIEW telemetry AS
    SELECT d.device_id, s.stream, t.seq, t.epoch, t.ts, t.kind, t.data, o.account_id, o.account_path, t.received_at
    FROM telemetry_rows t
    JOIN telemetry_devices d ON d.key = t.device_key
    JOIN streams s ON s.key = t.stream_key
    JOIN telemetry_owners o ON o.key = t.owner_key;
  `,
];
