/**
 * "Did you mean" suggestions by edit distance.
 *
 * @example
 * ```ts
 * suggest('Strng', ['String', 'Integer']); // 'String'
 * ```
 * @module
 */

/** Levenshtein distance (insert, delete, substitute, and adjacent transposition cost 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The closest candidate to `word`, if it is close enough to be a likely typo (distance ≤ 2, and
 * less than half the word), else undefined. Case differences count as close.
 *
 * @example
 * ```ts
 * suggest('prot', ['port', 'version']); // 'port'
 * suggest('zzz', ['port']); // undefined
 * ```
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === word.toLowerCase() ? 0.5 : editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.min(2, Math.max(1, Math.floor(word.length / 2)));
  return bestDistance <= limit ? best : undefined;
}

/**
 * Names close to `name` for "did you mean" hints, best first: typos (by {@link suggest}), the same
 * last `::` segment (or a typo of it) in another module, and names that contain it.
 *
 * @example
 * ```ts
 * closeNames('facs', ['facts', 'package']); // ['facts']
 * closeNames('deploy', ['site::deploy', 'site::verify']); // ['site::deploy']
 * ```
 */
export function closeNames(name: string, candidates: readonly string[], limit = 5): string[] {
  const last = (n: string): string => n.split('::').pop() ?? n;
  const out: string[] = [];
  const add = (n: string | undefined): void => {
    if (n !== undefined && n !== name && !out.includes(n)) out.push(n);
  };
  add(suggest(name, candidates));
  for (const c of candidates) if (suggest(last(name), [last(c)]) !== undefined) add(c);
  for (const c of candidates) if (c.includes(name)) add(c);
  return out.slice(0, limit);
}
