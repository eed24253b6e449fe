/**
 * Live MQTT sessions by user, token and device, so a revocation (deleted or demoted user, revoked
 * token, decommissioned device, rotated secret) closes them at once.
 */
import type { Client } from 'aedes';
import type { ClientInfo } from './authenticate.js';

export class Sessions {
  private readonly byUser = new Map<string, Set<Client>>();
  private readonly byToken = new Map<string, Set<Client>>();
  private readonly byDevice = new Map<string, Set<Client>>();
  private readonly info = new WeakMap<Client, ClientInfo>();

  add(client: Client, info: ClientInfo): void {
    this.info.set(client, info);
    if (info.userId) addTo(this.byUser, info.userId, client);
    if (info.tokenId) addTo(this.byToken, info.tokenId, client);
    if (info.who.kind === 'device') addTo(this.byDevice, info.who.unitId, client);
  }

  remove(client: Client): void {
    const info = this.info.get(client);
    if (!info) return;
    if (info.userId) removeFrom(this.byUser, info.userId, client);
    if (info.tokenId) removeFrom(this.byToken, info.tokenId, client);
    if (info.who.kind === 'device') removeFrom(this.byDevice, info.who.unitId, client);
  }

  kindOf(client: Client): 'device' | 'user' | 'unknown' {
    return this.info.get(client)?.who.kind ?? 'unknown';
  }

  closeUser(userId: string): void {
    closeAll(this.byUser.get(userId));
  }

  closeToken(tokenId: string): void {
    closeAll(this.byToken.get(tokenId));
  }

  closeDevice(unitId: string): void {
    closeAll(this.byDevice.get(unitId));
  }
}

function addTo(map: Map<string, Set<Client>>, key: string, c: Client): void {
  const set = map.get(key) ?? new Set<Client>();
  set.add(c);
  map.set(key, set);
}

function removeFrom(map: Map<string, Set<Client>>, key: string, c: Client): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(c);
  if (set.size === 0) map.delete(key);
}

function closeAll(set: Set<Client> | undefined): void {
  for (const c of [...(set ?? [])]) c.close();
}
