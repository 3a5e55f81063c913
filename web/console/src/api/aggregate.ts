// Counting for the supervisor's charts, and the CSV export of the list behind a chart.

/** Count items by a key, biggest first (ties by key, so the order is stable). */
export function countBy<T>(items: readonly T[], key: (t: T) => string): { key: string; count: number }[] {
  const m = new Map<string, number>()
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1)
  return [...m.entries()]
    .map(([k, count]) => ({ key: k, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
}

/** A stage x town table: rows in the given stage order, one series per town. */
export function crossCount<T>(
  items: readonly T[],
  row: (t: T) => string,
  col: (t: T) => string,
  rowOrder: readonly string[],
): { rows: string[]; cols: string[]; cell: (r: string, c: string) => number } {
  const counts = new Map<string, number>()
  const rowsSeen = new Set<string>()
  const colsSeen = new Set<string>()
  for (const it of items) {
    const r = row(it)
    const c = col(it)
    rowsSeen.add(r)
    colsSeen.add(c)
    counts.set(`${r}\u0000${c}`, (counts.get(`${r}\u0000${c}`) ?? 0) + 1)
  }
  const rows = [
    ...rowOrder.filter((r) => rowsSeen.has(r)),
    ...[...rowsSeen].filter((r) => !rowOrder.includes(r)).sort(),
  ]
  return { rows, cols: [...colsSeen].sort(), cell: (r, c) => counts.get(`${r}\u0000${c}`) ?? 0 }
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  // A leading = + - @ would be a formula in a spreadsheet: keep it text.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** RFC 4180 CSV with a header row; a BOM so Excel opens the Chinese as UTF-8. */
export function toCsv<T>(rows: readonly T[], columns: { label: string; value: (t: T) => unknown }[]): string {
  const lines = [columns.map((c) => csvCell(c.label)).join(',')]
  for (const r of rows) lines.push(columns.map((c) => csvCell(c.value(r))).join(','))
  return `\uFEFF${lines.join('\r\n')}\r\n`
}

export function download(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
