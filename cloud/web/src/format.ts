/** Display helpers: times in the viewer's locale, counts in words. */

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return 'never';
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 devices, 1 user and 2 nested customers" from the 409 details of an account delete. */
export function holdings(d: { devices?: number; users?: number; children?: number }): string {
  const parts = [
    d.devices ? plural(d.devices, 'device') : '',
    d.users ? plural(d.users, 'user') : '',
    d.children ? plural(d.children, 'nested customer') : '',
  ].filter(Boolean);
  if (parts.length <= 1) return parts[0] ?? 'something';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
