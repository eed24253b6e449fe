/**
 * Materialized-path helpers for SQL: a subtree is the index range [prefix, end) where `end` is the
 * prefix with its final `/` (0x2F) replaced by `0` (0x30), the next byte up. Ids never contain
 * characters below `0` other than `-`, and `-` (0x2D) < `/` cannot follow the prefix directly.
 */
export function subtreeEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}0`;
}

export function childPath(parentPath: string, id: string): string {
  return `${parentPath}${id}/`;
}
