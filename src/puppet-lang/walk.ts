/**
 * Generic traversal of the Puppet AST: the child nodes of a node, and a depth-first walk.
 *
 * @example
 * ```ts
 * const calls: string[] = [];
 * walk(program, (node) => { if (node.kind === 'CallFunction') calls.push(node.name); });
 * ```
 * @module
 */
import type { Node } from './ast.ts';

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string' && 'loc' in value;
}

/** The direct child nodes of `node`, in source order. */
export function childNodes(node: Node): Node[] {
  const children: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'nameLoc') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) children.push(item);
    } else if (isNode(value)) {
      children.push(value);
    }
  }
  return children.sort((a, b) => a.loc.start - b.loc.start);
}

/**
 * Calls `visit` on `node` and every node below it, parents first, in source order. Returning
 * `false` from `visit` skips that node's children.
 */
export function walk(node: Node, visit: (node: Node, parent: Node | undefined) => boolean | void, parent?: Node): void {
  if (visit(node, parent) === false) return;
  for (const child of childNodes(node)) walk(child, visit, node);
}
