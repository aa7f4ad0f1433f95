// A line diff (longest common subsequence) for comparing two versions' sources.
export interface DiffLine { kind: 'same' | 'added' | 'removed'; text: string; left?: number; right?: number }

export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.replace(/\r\n/g, '\n').split('\n');
  const b = after.replace(/\r\n/g, '\n').split('\n');
  const n = a.length, m = b.length;
  // Definitions are small (at most 1 MiB, usually a few hundred lines): a full table is fine.
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ kind: 'same', text: a[i]!, left: i + 1, right: j + 1 }); i++; j++; }
    else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) { out.push({ kind: 'removed', text: a[i]!, left: i + 1 }); i++; }
    else { out.push({ kind: 'added', text: b[j]!, right: j + 1 }); j++; }
  }
  while (i < n) { out.push({ kind: 'removed', text: a[i]!, left: i + 1 }); i++; }
  while (j < m) { out.push({ kind: 'added', text: b[j]!, right: j + 1 }); j++; }
  return out;
}
