// 重大危险源在线监测: the shapes of /v1/hazard-sources/*, and the pure logic of the console's
// screens (sorting, sensor states, the trend chart's option, the CSV behind it), kept apart
// from the views so Vitest can check it.

export interface Grading {
  major: boolean
  grade: string // 一级 .. 四级, or 非重大危险源
  grade_level: number // 1..4, 0 = not major
  s: number
  r: number
  alpha: number
  rules_version: string
  reason: string
  graded_at?: string
}

export interface UnitSummary {
  unit_id: string
  enterprise_id: string
  enterprise_name: string
  town: string
  kind: string
  name: string
  grading: Grading
  open_alarms: number
  active_alarms: number
  sensors: number
  last_reading_at?: string
}

export interface Holding {
  chemical: string
  max_t: number
  category: string
}

export interface Person {
  role: string
  name: string
  phone: string
  user_id: string
}

export interface Unit {
  unit_id: string
  enterprise_id: string
  enterprise_name: string
  agency_id: string
  town: string
  kind: string
  name: string
  holdings: Holding[]
  people_within_500m: number
  chain: Person[]
}

export interface Sensor {
  sensor_id: string
  unit_id: string
  quantity: string
  unit_of_measure: string
  high?: number
  high_high?: number
  low?: number
  low_low?: number
  deadband: number
  sustain: number
  rate_per_min?: number
  stale_after_s: number
  last_value?: number
  last_at?: string
  zone: string
  rate_alarm: boolean
  stale_alarm: boolean
}

/** One chemical's part in the grading: q, Q, q/Q, β and β·q/Q. */
export interface HoldingFigures {
  chemical: string
  name_zh: string
  key: string // CAS number (表1) or category code (表2)
  source: string // 表1 or 表2
  q_t: number
  critical_t: number
  ratio: number
  beta: number
  weighted: number
}

export interface UnitDetail {
  unit: Unit
  grading: Grading
  history: Grading[]
  sensors: Sensor[]
  figures: HoldingFigures[]
}

export interface Notification {
  role: string
  name: string
  phone: string
  step: number
  at?: string
}

export interface Alarm {
  alarm_id: string
  unit_id: string
  unit_name: string
  enterprise_name: string
  town: string
  sensor_id: string
  kind: string // limit, rate, stale
  level: string
  active: boolean
  open: boolean
  value: number
  step: number
  notified: Notification[]
  acknowledged_by: string
  handled_by: string
  handled_reason: string
  raised_at?: string
  updated_at?: string
  acknowledged_at?: string
  handled_at?: string
}

export interface TrendPoint {
  sensor_id: string
  at: string
  min: number
  max: number
  avg: number
  count: number
}

export interface Trend {
  points: TrendPoint[]
  sensors: Sensor[]
  alarms: Alarm[]
}

// -- words -------------------------------------------------------------------------------------

export const KIND_ZH: Record<string, string> = { storage: '储存单元', production: '生产单元' }
export const QUANTITY_ZH: Record<string, string> = {
  pressure: '压力',
  level: '液位',
  temperature: '温度',
  gas: '气体浓度',
}
export const CHAIN_ZH: Record<string, string> = {
  principal: '主要负责人',
  technical: '技术负责人',
  operational: '操作负责人',
  town: '属地监管人员',
}
export const LEVEL_ZH: Record<string, string> = {
  high: '高报',
  high_high: '高高报',
  low: '低报',
  low_low: '低低报',
  rate: '变化率超限',
  silent: '数据中断',
  frozen: '数值冻结',
}
export const ALARM_KIND_ZH: Record<string, string> = { limit: '超限', rate: '变化率', stale: '数据异常' }

/** Limit lines: field, short mark, words, colour (high-high and low-low in red). */
export const LIMITS = [
  { key: 'high_high', mark: 'HH', zh: '高高报', colour: '#d9001b' },
  { key: 'high', mark: 'H', zh: '高报', colour: '#e6a23c' },
  { key: 'low', mark: 'L', zh: '低报', colour: '#e6a23c' },
  { key: 'low_low', mark: 'LL', zh: '低低报', colour: '#d9001b' },
] as const

export type Tone = 'danger' | 'warning' | 'success' | 'info'

/** A sensor's state in words and tone: the most severe of its limit, rate and stale alarms. */
export function sensorState(s: Sensor): { text: string; tone: Tone } {
  const parts: string[] = []
  let tone: Tone = 'success'
  if (s.zone === 'high_high' || s.zone === 'low_low') {
    parts.push(LEVEL_ZH[s.zone])
    tone = 'danger'
  } else if (s.zone === 'high' || s.zone === 'low') {
    parts.push(LEVEL_ZH[s.zone])
    tone = 'warning'
  }
  if (s.rate_alarm) {
    parts.push(LEVEL_ZH.rate)
    if (tone === 'success') tone = 'warning'
  }
  if (s.stale_alarm) {
    parts.push('数据异常')
    if (tone === 'success') tone = 'warning'
  }
  if (parts.length) return { text: parts.join('、'), tone }
  if (s.last_at === undefined) return { text: '尚无数据', tone: 'info' }
  return { text: '正常', tone: 'success' }
}

/** Tag tone for a grade: 一级 red .. 四级 grey. */
export function gradeTone(level: number): Tone {
  return level === 1 ? 'danger' : level === 2 ? 'warning' : level === 3 ? 'success' : 'info'
}

/** 一级 first, then most open alarms, then the newest reading, then by name. */
export function sortUnits<T extends UnitSummary>(units: readonly T[]): T[] {
  const level = (u: UnitSummary) => u.grading?.grade_level || 99 // 0: not major, last
  const at = (u: UnitSummary) => (u.last_reading_at ? Date.parse(u.last_reading_at) : 0)
  return [...units].sort(
    (a, b) =>
      level(a) - level(b) ||
      b.open_alarms - a.open_alarms ||
      b.active_alarms - a.active_alarms ||
      at(b) - at(a) ||
      a.enterprise_name.localeCompare(b.enterprise_name, 'zh-CN') ||
      a.name.localeCompare(b.name, 'zh-CN'),
  )
}

/** Alarms the page has not shown yet (by id), for the "new alarm" notice while polling. */
export function newAlarms(before: readonly Alarm[] | null, now: readonly Alarm[]): Alarm[] {
  if (before === null) return []
  const seen = new Set(before.map((a) => a.alarm_id))
  return now.filter((a) => !seen.has(a.alarm_id))
}

/** A figure for the screen: at most `digits` decimals, no trailing zeros; — when missing. */
export function fmt(v: number | undefined | null, digits = 2): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—'
  return Number(v.toFixed(digits)).toString()
}

// -- time --------------------------------------------------------------------------------------

const CHINA = 'Asia/Shanghai'

/** "MM-DD HH:mm" (or with the year) in China time, whatever the browser's zone. */
export function chinaTime(ms: number, withDate = true): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('zh-CN', {
      timeZone: CHINA,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  )
  const hm = `${parts.hour === '24' ? '00' : parts.hour}:${parts.minute}`
  return withDate ? `${parts.month}-${parts.day} ${hm}` : hm
}

/** "YYYY-MM-DD HH:mm:ss" in China time, for the CSV. */
export function chinaStamp(ms: number): string {
  const d = new Date(ms + 8 * 3600_000) // China keeps no summer time
  return d.toISOString().slice(0, 19).replace('T', ' ')
}

export type Window = 'hour' | 'day' | 'week'

export const WINDOWS: { value: Window; label: string; span_ms: number; buckets: number }[] = [
  { value: 'hour', label: '近1小时', span_ms: 3600_000, buckets: 120 }, // 30 s
  { value: 'day', label: '近1天', span_ms: 86400_000, buckets: 288 }, // 5 min
  { value: 'week', label: '近1周', span_ms: 7 * 86400_000, buckets: 336 }, // 30 min
]

/** The trend query of a window ending at `now`. */
export function windowQuery(w: Window, now: number): { start: string; end: string; buckets: number } {
  const spec = WINDOWS.find((x) => x.value === w) ?? WINDOWS[1]
  return {
    start: new Date(now - spec.span_ms).toISOString(),
    end: new Date(now).toISOString(),
    buckets: spec.buckets,
  }
}

// -- the chart ---------------------------------------------------------------------------------

/** A round step near `raw` (1, 2 or 5 times a power of ten). */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw))
  const f = raw / power
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power
}

/** The y range that shows the readings and every limit, with a little room, on round steps
 * (never below zero when nothing is). */
export function yRange(values: number[]): { min: number; max: number } | null {
  const finite = values.filter((v) => Number.isFinite(v))
  if (!finite.length) return null
  const lo = Math.min(...finite)
  const hi = Math.max(...finite)
  const spread = hi - lo || Math.abs(hi) * 0.2 || 1
  const step = niceStep(spread / 5)
  let min = Math.floor((lo - spread * 0.05) / step) * step
  const max = Math.ceil((hi + spread * 0.05) / step) * step
  if (lo >= 0 && min < 0) min = 0
  const digits = Math.max(0, -Math.floor(Math.log10(step)))
  return { min: Number(min.toFixed(digits)), max: Number(max.toFixed(digits)) }
}

function limitsOf(s: Sensor): { key: string; mark: string; zh: string; colour: string; value: number }[] {
  return LIMITS.flatMap((l) => {
    const v = s[l.key]
    return v === undefined || v === null ? [] : [{ ...l, value: v }]
  })
}

/**
 * The ECharts option of one sensor's trend over [start, end]: the bucket averages as a line,
 * the min-max band as a stacked area behind it, the limits (H, HH, L, LL) as dashed lines,
 * the limit and rate alarms as red marks at their value and stale alarms as red vertical
 * lines. Times on the axis and in the tooltip in China time.
 */
export function trendOption(
  sensor: Sensor,
  trend: Trend,
  span: { start: number; end: number },
): Record<string, unknown> {
  const points = trend.points
    .filter((p) => p.sensor_id === sensor.sensor_id)
    .map((p) => ({ ...p, t: Date.parse(p.at) }))
    .sort((a, b) => a.t - b.t)
  const alarms = trend.alarms.filter((a) => a.sensor_id === sensor.sensor_id && a.raised_at)
  const valueAlarms = alarms.filter((a) => a.kind !== 'stale')
  const staleAlarms = alarms.filter((a) => a.kind === 'stale')
  const limits = limitsOf(sensor)
  const unit = sensor.unit_of_measure
  const range = yRange([
    ...points.flatMap((p) => [p.min, p.max]),
    ...limits.map((l) => l.value),
    ...valueAlarms.map((a) => a.value),
  ])
  const byTime = new Map(points.map((p) => [p.t, p]))
  const hours = (span.end - span.start) / 3600_000
  return {
    animation: false,
    grid: { left: 56, right: 64, top: 36, bottom: 28, containLabel: false },
    legend: { top: 0, left: 0, itemWidth: 16, data: ['平均值', '最小-最大', '报警'] },
    tooltip: {
      trigger: 'axis',
      formatter: (items: { seriesName: string; value: [number, number]; data: unknown }[]) => {
        const first = items[0]
        if (!first) return ''
        const t = first.value[0]
        const lines = [chinaTime(t)]
        const p = byTime.get(t)
        if (p) {
          lines.push(`平均 ${fmt(p.avg, 3)} ${unit}`)
          lines.push(`最小 ${fmt(p.min, 3)} / 最大 ${fmt(p.max, 3)}（${p.count} 个读数）`)
        }
        for (const it of items.filter((i) => i.seriesName === '报警')) {
          const a = (it.data as { alarm: Alarm }).alarm
          lines.push(`报警：${LEVEL_ZH[a.level] ?? a.level} ${fmt(a.value, 3)} ${unit}`)
        }
        return lines.join('<br/>')
      },
    },
    xAxis: {
      type: 'time',
      min: span.start,
      max: span.end,
      axisLabel: { hideOverlap: true, formatter: (v: number) => chinaTime(v, hours > 24) },
    },
    yAxis: {
      type: 'value', // the unit is in the chart's title: a name here would meet the legend
      scale: true,
      ...(range ?? {}),
    },
    series: [
      {
        // the band's floor, drawn invisibly: the next series stacks the band's height on it
        name: '最小值',
        type: 'line',
        stack: 'band',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        tooltip: { show: false },
        data: points.map((p) => [p.t, p.min]),
      },
      {
        name: '最小-最大',
        type: 'line',
        stack: 'band',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { color: '#409eff', opacity: 0.15 },
        itemStyle: { color: '#a0cfff' },
        data: points.map((p) => [p.t, p.max - p.min]),
      },
      {
        name: '平均值',
        type: 'line',
        symbol: points.length > 40 ? 'none' : 'circle',
        symbolSize: 4,
        itemStyle: { color: '#409eff' },
        lineStyle: { width: 1.5 },
        data: points.map((p) => [p.t, p.avg]),
        markLine: {
          silent: true,
          symbol: 'none',
          data: [
            ...limits.map((l) => ({
              name: l.zh,
              yAxis: l.value,
              lineStyle: { color: l.colour, type: 'dashed', width: 1 },
              label: { formatter: `${l.mark} ${l.value}`, color: l.colour, position: 'end' },
            })),
            ...staleAlarms.map((a) => ({
              name: LEVEL_ZH[a.level] ?? a.level,
              xAxis: Date.parse(a.raised_at as string),
              lineStyle: { color: '#d9001b', type: 'solid', width: 1 },
              label: { formatter: LEVEL_ZH[a.level] ?? a.level, color: '#d9001b', position: 'insideEndTop' },
            })),
          ],
        },
      },
      {
        name: '报警',
        type: 'scatter',
        symbol: 'triangle',
        symbolSize: 11,
        itemStyle: { color: '#d9001b' },
        z: 5,
        data: valueAlarms.map((a) => ({ value: [Date.parse(a.raised_at as string), a.value], alarm: a })),
      },
    ],
  }
}

// -- CSV ---------------------------------------------------------------------------------------

function csvCell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v)
  // a leading = + - @ would be a formula in a spreadsheet: quote it with a leading '
  const safe = /^[=+\-@\t\r]/.test(s) && Number.isNaN(Number(s)) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/**
 * The data behind the charts as CSV (UTF-8 with BOM, for Excel): one row per sensor and time
 * bucket with min, max, average and count, the sensor's limits, and the alarms raised within
 * that bucket; times in China time.
 */
export function trendCsv(trend: Trend, bucketMs: number): string {
  const head = [
    '传感器', '监测量', '单位', '时间(北京时间)', '最小值', '最大值', '平均值', '读数个数',
    '高报H', '高高报HH', '低报L', '低低报LL', '报警',
  ]
  const sensors = new Map(trend.sensors.map((s) => [s.sensor_id, s]))
  const rows = [...trend.points].sort(
    (a, b) => a.sensor_id.localeCompare(b.sensor_id) || Date.parse(a.at) - Date.parse(b.at),
  )
  const lines = [head.map(csvCell).join(',')]
  for (const p of rows) {
    const s = sensors.get(p.sensor_id)
    const t = Date.parse(p.at)
    const raised = trend.alarms
      .filter((a) => a.sensor_id === p.sensor_id && a.raised_at)
      .filter((a) => {
        const at = Date.parse(a.raised_at as string)
        return at >= t && at < t + bucketMs
      })
      .map((a) => LEVEL_ZH[a.level] ?? a.level)
    lines.push(
      [
        p.sensor_id,
        QUANTITY_ZH[s?.quantity ?? ''] ?? s?.quantity ?? '',
        s?.unit_of_measure ?? '',
        chinaStamp(t),
        p.min,
        p.max,
        Number(p.avg.toFixed(6)),
        p.count,
        s?.high,
        s?.high_high,
        s?.low,
        s?.low_low,
        raised.join('；'),
      ]
        .map(csvCell)
        .join(','),
    )
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n'
}
