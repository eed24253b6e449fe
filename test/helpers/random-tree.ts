/**
 * Random account trees for property tests: a shape arbitrary (fast-check) and a builder that
 * creates the shape THROUGH THE REST API, answering the reference model (parent pointers).
 */
import fc from 'fast-check';
import type { Rights } from '../../cloud/domain/permissions.js';
import type { TestRegistry } from './registry.js';

/** Node i > 0 hangs under node `parentOf[i-1]` (an index < i). Node 0 is the subtree's top. */
export interface TreeShape {
  parentOf: number[];
}

/**
 * About half the nodes extend the previous one, so chains reach `maxDepth` below the top; the
 * rest hang anywhere, so the tree is wide as well.
 */
export function treeShapeArb(opts: { minNodes: number; maxNodes: number; maxDepth: number }): fc.Arbitrary<TreeShape> {
  return fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: opts.minNodes - 1, maxLength: opts.maxNodes - 1 }).map((choices) => {
    const depth = [0];
    const parentOf: number[] = [];
    choices.forEach(([chain, pick], k) => {
      const i = k + 1;
      let parent = chain ? i - 1 : pick % i;
      while (depth[parent]! >= opts.maxDepth) parent = parent === 0 ? 0 : parentOf[parent - 1]!;
      parentOf.push(parent);
      depth.push(depth[parent]! + 1);
    });
    return { parentOf };
  });
}

export const rightsArb: fc.Arbitrary<Rights> = fc.record({
  deviceAccess: fc.constantFrom('none' as const, 'read' as const, 'full' as const),
  accountAdmin: fc.boolean(),
});

export interface BuiltTree {
  /** Account ids, index-aligned with the shape (0 is the top). */
  ids: string[];
  /** The model: every account of the registry (these and their ancestors) -> parent id. */
  parents: Map<string, string | null>;
}

/**
 * Creates the shape under `parentId` as `token` (an admin that sees `parentId`), in index order so
 * every parent exists first. `known` seeds the model with the accounts above (root: null).
 */
export async function buildTree(reg: TestRegistry, token: string, parentId: string, shape: TreeShape, known: Map<string, string | null>): Promise<BuiltTree> {
  const parents = new Map(known);
  const top = await reg.createAccount(token, parentId);
  parents.set(top.id, parentId);
  const ids = [top.id];
  for (const p of shape.parentOf) {
    const a = await reg.createAccount(token, ids[p]!);
    parents.set(a.id, ids[p]!);
    ids.push(a.id);
  }
  return { ids, parents };
}
