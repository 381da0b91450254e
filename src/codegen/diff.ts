/**
 * A small line diff for `rivet types --check`: what changed between the committed file and what
 * would be generated, as unified-style hunks.
 *
 * @example
 * ```ts
 * diffLines('a\nb\n', 'a\nc\n'); // ['@@ line 2 @@', '-b', '+c']
 * ```
 * @module
 */

/** Lines of context around each change. */
const CONTEXT = 2;

/**
 * Unified-style hunks (`@@ line N @@`, ` ` context, `-` old, `+` new), at most `maxLines` of them
 * (then `... N more lines`). Empty when the texts are equal.
 */
export function diffLines(oldText: string, newText: string, maxLines = 60): string[] {
  if (oldText === newText) return [];
  const a = oldText.split('\n');
  const b = newText.split('\n');
  // Trim the common prefix and suffix, then LCS on the middle (generated files change locally).
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  const ops: { op: ' ' | '-' | '+'; line: string; at: number }[] = [];
  if (x.length * y.length > 4_000_000) {
    x.forEach((line, i) => ops.push({ op: '-', line, at: start + i }));
    y.forEach((line) => ops.push({ op: '+', line, at: start + x.length }));
  } else {
    const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) {
        lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        ops.push({ op: ' ', line: x[i]!, at: start + i });
        i++;
        j++;
      } else if (i < x.length && (j >= y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        ops.push({ op: '-', line: x[i]!, at: start + i });
        i++;
      } else {
        ops.push({ op: '+', line: y[j]!, at: start + i });
        j++;
      }
    }
  }
  const before = a.slice(Math.max(0, start - CONTEXT), start).map((line, k) => ({ op: ' ' as const, line, at: Math.max(0, start - CONTEXT) + k }));
  const after = a.slice(endA, endA + CONTEXT).map((line, k) => ({ op: ' ' as const, line, at: endA + k }));
  const all = [...before, ...ops, ...after];
  // Keep changes and CONTEXT lines around them.
  const keep = all.map((o, k) => all.slice(Math.max(0, k - CONTEXT), k + CONTEXT + 1).some((n) => n.op !== ' '));
  const out: string[] = [];
  let last = -2;
  all.forEach((o, k) => {
    if (!keep[k]) return;
    if (k !== last + 1) out.push(`@@ line ${o.at + 1} @@`);
    out.push(`${o.op}${o.line}`);
    last = k;
  });
  if (out.length > maxLines) return [...out.slice(0, maxLines), `... ${out.length - maxLines} more lines`];
  return out;
}
