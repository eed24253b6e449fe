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
  `
  -- 2. Counters and leaner device indexes (docs/benchmarks-visibility.md, bench-assign).
  -- childCount, deviceCount and userCount of an account are columns kept right by triggers, so
  -- listing 100 accounts reads 100 rows instead of running 300 count subqueries. deviceCount counts
  -- live devices only (deleted_at IS NULL). Every insert, delete and change of the owning column
  -- (and of deleted_at) is covered, whichever code path makes it.
  ALTER TABLE accounts ADD COLUMN child_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN device_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE accounts ADD COLUMN user_count INTEGER NOT NULL DEFAULT 0;
  UPDATE accounts SET child_count = c.n
    FROM (SELECT parent_id, count(*) AS n FROM accounts WHERE parent_id IS NOT NULL GROUP BY parent_id) c
    WHERE c.parent_id = accounts.id;
  UPDATE accounts SET device_count = c.n
    FROM (SELECT account_id, count(*) AS n FROM devices WHERE deleted_at IS NULL GROUP BY account_id) c
    WHERE c.account_id = accounts.id;
  UPDATE accounts SET user_count = c.n
    FROM (SELECT account_id, count(*) AS n FROM users GROUP BY account_id) c
    WHERE c.account_id = accounts.id;

  CREATE TRIGGER accounts_count_insert AFTER INSERT ON accounts WHEN NEW.parent_id IS NOT NULL BEGIN
    UPDATE accounts SET child_count = child_count + 1 WHERE id = NEW.parent_id;
  END;
  CREATE TRIGGER accounts_count_delete AFTER DELETE ON accounts WHEN OLD.parent_id IS NOT NULL BEGIN
    UPDATE accounts SET child_count = child_count - 1 WHERE id = OLD.parent_id;
  END;
  CREATE TRIGGER accounts_count_update AFTER UPDATE OF parent_id ON accounts
    WHEN OLD.parent_id IS NOT NEW.parent_id BEGIN
    UPDATE accounts SET child_count = child_count - 1 WHERE id = OLD.parent_id;
    UPDATE accounts SET child_count = child_count + 1 WHERE id = NEW.parent_id;
  END;

  CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
    UPDATE accounts SET user_count = user_count + 1 WHERE id = NEW.account_id;
  END;
  CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
    UPDATE accounts SET user_count = user_count - 1 WHERE id = OLD.account_id;
  END;
  CREATE TRIGGER users_count_update AFTER UPDATE OF account_id ON users
    WHEN OLD.account_id IS NOT NEW.account_id BEGIN
    UPDATE accounts SET user_count = user_count - 1 WHERE id = OLD.account_id;
    UPDATE accounts SET user_count = user_count + 1 WHERE id = NEW.account_id;
  END;

  CREATE TRIGGER devices_count_insert AFTER INSERT ON devices WHEN NEW.deleted_at IS NULL BEGIN
    UPDATE accounts SET device_count = device_count + 1 WHERE id = NEW.account_id;
  END;
  CREATE TRIGGER devices_count_delete AFTER DELETE ON devices WHEN OLD.deleted_at IS NULL BEGIN
    UPDATE accounts SET device_count = device_count - 1 WHERE id = OLD.account_id;
  END;
  CREATE TRIGGER devices_count_update AFTER UPDATE OF account_id, deleted_at ON devices
    WHEN OLD.account_id IS NOT NEW.account_id OR OLD.deleted_at IS NOT NEW.deleted_at BEGIN
    UPDATE accounts SET device_count = device_count - 1 WHERE id = OLD.account_id AND OLD.deleted_at IS NULL;
    UPDATE accounts SET device_count = device_count + 1 WHERE id = NEW.account_id AND NEW.deleted_at IS NULL;
  END;

  -- devices_owner served only the device count; the counter replaces it, and a move no longer
  -- rewrites an index entry per device for it. devices_unit no longer holds the epoch, which every
  -- move changes; the highest epoch of a unit id reads its few rows (a unit is rarely registered
  -- more than a few times).
  DROP INDEX devices_owner;
  DROP INDEX devices_unit;
  CREATE INDEX devices_unit ON devices(unit_id);
  `,
  `
  -- 3. Telemetry reads that cost what they return (docs/decisions.md, "Telemetry reads by owner").
  -- Reading a device's records for one account walked (device, ts) and filtered on the owner: a
  -- new owner's first page scanned every record of the old owner first, and a caller who does not
  -- see the device (404) scanned all of its records to find out whether it held any history. Rows
  -- are now indexed by (device, owner, ts), and the owners each device has records attributed to
  -- are listed once per pair, so both questions start from the few owners inside the caller's
  -- subtree. Pairs outlive the rows that retention prunes (an old owner then reads an empty page).
  CREATE TABLE telemetry_device_owners (
    device_key INTEGER NOT NULL,
    owner_key INTEGER NOT NULL,
    PRIMARY KEY (device_key, owner_key)
  ) WITHOUT ROWID;
  INSERT INTO telemetry_device_owners SELECT DISTINCT device_key, owner_key FROM telemetry_rows;
  CREATE INDEX telemetry_device_owner_ts ON telemetry_rows(device_key, owner_key, ts);
  DROP INDEX telemetry_device_ts;
  `,
];
