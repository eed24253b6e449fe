/** What every service gets: the database, its stores, the event bus, the clock and the logger. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db } from '../store/db.js';
import { AccountStore } from '../store/account-store.js';
import { AuditStore } from '../store/audit-store.js';
import { DeviceLinkStore } from '../store/device-link-store.js';
import { UserStore } from '../store/user-store.js';
import { RegistryBus } from './events.js';

export interface Context {
  readonly config: Config;
  readonly db: Db;
  readonly log: Logger;
  readonly bus: RegistryBus;
  /** Injected clock: integer ms since the Unix epoch. */
  readonly now: () => number;
  readonly accounts: AccountStore;
  readonly users: UserStore;
  readonly audit: AuditStore;
  /** Device facts the broker and settings pushes need. */
  readonly links: DeviceLinkStore;
}

export function createContext(config: Config, db: Db, log: Logger, now: () => number = Date.now): Context {
  return {
    config,
    db,
    log,
    now,
    bus: new RegistryBus(),
    accounts: new AccountStore(db),
    users: new UserStore(db),
    audit: new AuditStore(db),
    links: new DeviceLinkStore(db),
  };
}
