import { describe, expect, it } from 'vitest'
import {
  chinaStamp,
  chinaTime,
  newAlarms,
  sensorState,
  sortUnits,
  trendCsv,
  trendOption,
  windowQuery,
  yRange,
  type Alarm,
  type Sensor,
  type Trend,
  type UnitSummary,
} from '../src/api/hazardSources'

function unit(id: string, level: number, open: number, extra: Partial<UnitSummary> = {}): UnitSummary {
  return {
    unit_id: id,
    enterprise_id: 'e',
    enterprise_name: '常州某化工',
    town: '薛家镇',
    kind: 'storage',
    name: id,
    grading: {
      major: level > 0,
      grade: ['非重大危险源', '一级', '二级', '三级', '四级'][level],
      grade_level: level,
      s: 1,
      r: 10,
      alpha: 1,
      rules_version: 'GB18218-2018/v1',
      reason: '',
    },
    open_alarms: open,
    active_alarms: open,
    sensors: 1,
    ...extra,
  }
}

const PT: Sensor = {
  sensor_id: 'cl-pt-01',
  unit_id: 'cl-tank-01',
  quantity: 'pressure',
  unit_of_measure: 'MPa',
  high: 1.6,
  high_high: 1.8,
  low: 0.2,
  deadband: 0.05,
  sustain: 2,
  stale_after_s: 600,
  last_value: 1.2,
  last_at: '2026-12-01T02:00:00Z',
  zone: 'normal',
  rate_alarm: false,
  stale_alarm: false,
}

function alarm(id: string, extra: Partial<Alarm> = {}): Alarm {
  return {
    alarm_id: id,
    unit_id: 'cl-tank-01',
    unit_name: '液氯储罐区',
    enterprise_name: '常州某化工',
    town: '薛家镇',
    sensor_id: 'cl-pt-01',
    kind: 'limit',
    level: 'high',
    active: true,
    open: true,
    value: 1.72,
    step: 1,
    notified: [],
    acknowledged_by: '',
    handled_by: '',
    handled_reason: '',
    raised_at: '2026-12-01T02:10:00Z',
    ...extra,
  }
}

const T0 = Date.parse('2026-12-01T02:00:00Z')
const TREND: Trend = {
  sensors: [PT],
  points: [
    { sensor_id: 'cl-pt-01', at: '2026-12-01T02:05:00Z', min: 1.1, max: 1.3, avg: 1.2, count: 10 },
    { sensor_id: 'cl-pt-01', at: '2026-12-01T02:00:00Z', min: 1.0, max: 1.2, avg: 1.1, count: 10 },
    { sensor_id: 'cl-pt-01', at: '2026-12-01T02:10:00Z', min: 1.5, max: 1.9, avg: 1.75, count: 10 },
    { sensor_id: 'other', at: '2026-12-01T02:10:00Z', min: 5, max: 5, avg: 5, count: 1 },
  ],
  alarms: [
    alarm('a1', { raised_at: '2026-12-01T02:11:00Z', level: 'high_high', value: 1.85 }),
    alarm('a2', { kind: 'stale', level: 'silent', value: 0, raised_at: '2026-12-01T02:20:00Z' }),
    alarm('a3', { sensor_id: 'other' }),
  ],
}
const SPAN = { start: T0, end: T0 + 3600_000 }

type Series = { name: string; type: string; data: unknown[]; stack?: string; markLine?: { data: Record<string, unknown>[] } }

describe('the list of major hazard sources', () => {
  it('puts 一级 first, then the most open alarms, and units not major last', () => {
    const sorted = sortUnits([
      unit('four', 4, 5),
      unit('none', 0, 9),
      unit('two-quiet', 2, 0),
      unit('one', 1, 0),
      unit('two-alarms', 2, 3),
    ])
    expect(sorted.map((u) => u.unit_id)).toEqual(['one', 'two-alarms', 'two-quiet', 'four', 'none'])
  })
  it('breaks a tie by the newest reading, then by enterprise and name', () => {
    const sorted = sortUnits([
      unit('b', 2, 1, { last_reading_at: '2026-12-01T01:00:00Z' }),
      unit('a', 2, 1),
      unit('c', 2, 1, { last_reading_at: '2026-12-01T03:00:00Z' }),
    ])
    expect(sorted.map((u) => u.unit_id)).toEqual(['c', 'b', 'a'])
  })
  it('does not change the list it was given', () => {
    const given = [unit('b', 3, 0), unit('a', 1, 0)]
    sortUnits(given)
    expect(given.map((u) => u.unit_id)).toEqual(['b', 'a'])
  })
  it('announces only alarms it had not seen, and none on the first look', () => {
    expect(newAlarms(null, [alarm('a')])).toEqual([])
    expect(newAlarms([alarm('a')], [alarm('b'), alarm('a')]).map((a) => a.alarm_id)).toEqual(['b'])
  })
})

describe('a sensor state in words', () => {
  it('names the most severe zone and the other alarms', () => {
    expect(sensorState({ ...PT, zone: 'high_high', stale_alarm: true })).toEqual({ text: '高高报、数据异常', tone: 'danger' })
    expect(sensorState({ ...PT, zone: 'low' })).toEqual({ text: '低报', tone: 'warning' })
    expect(sensorState({ ...PT, rate_alarm: true })).toEqual({ text: '变化率超限', tone: 'warning' })
    expect(sensorState(PT)).toEqual({ text: '正常', tone: 'success' })
    expect(sensorState({ ...PT, last_at: undefined })).toEqual({ text: '尚无数据', tone: 'info' })
  })
})

describe('the trend chart', () => {
  const option = trendOption(PT, TREND, SPAN) as { series: Series[]; xAxis: Record<string, unknown>; yAxis: Record<string, unknown> }
  const byName = (n: string) => option.series.find((s) => s.name === n) as Series

  it('draws the averages of this sensor only, in time order, over the whole span', () => {
    expect(byName('平均值').data).toEqual([
      [T0, 1.1],
      [T0 + 300_000, 1.2],
      [T0 + 600_000, 1.75],
    ])
    expect(option.xAxis).toMatchObject({ type: 'time', min: SPAN.start, max: SPAN.end })
  })
  it('stacks the band: the floor at the minimum, the height max - min', () => {
    expect(byName('最小值').stack).toBe('band')
    expect(byName('最小-最大').stack).toBe('band')
    expect(byName('最小值').data[2]).toEqual([T0 + 600_000, 1.5])
    expect((byName('最小-最大').data[2] as number[])[1]).toBeCloseTo(0.4)
  })
  it('draws each limit the sensor has as a dashed line, HH and LL in red', () => {
    const lines = byName('平均值').markLine?.data ?? []
    const limits = lines.filter((l) => 'yAxis' in l)
    expect(limits.map((l) => [l.yAxis, (l.label as { formatter: string }).formatter])).toEqual([
      [1.8, 'HH 1.8'],
      [1.6, 'H 1.6'],
      [0.2, 'L 0.2'],
    ])
    expect((limits[0].lineStyle as { color: string; type: string })).toEqual({ color: '#d9001b', type: 'dashed', width: 1 })
    expect((limits[1].lineStyle as { color: string }).color).toBe('#e6a23c')
  })
  it('marks a limit alarm at its time and value, a stale alarm as a vertical line', () => {
    const marks = byName('报警').data as { value: [number, number] }[]
    expect(marks.map((m) => m.value)).toEqual([[Date.parse('2026-12-01T02:11:00Z'), 1.85]])
    const vertical = (byName('平均值').markLine?.data ?? []).filter((l) => 'xAxis' in l)
    expect(vertical.map((l) => [l.xAxis, l.name])).toEqual([[Date.parse('2026-12-01T02:20:00Z'), '数据中断']])
  })
  it('keeps every limit and alarm in view even when the readings stay far below them', () => {
    const quiet: Trend = { ...TREND, points: [TREND.points[1]], alarms: [] }
    const y = (trendOption(PT, quiet, SPAN) as { yAxis: { min: number; max: number } }).yAxis
    expect(y.min).toBeLessThanOrEqual(0.2)
    expect(y.max).toBeGreaterThanOrEqual(1.8)
  })
  it('puts the y bounds on round steps, not below zero when nothing is', () => {
    expect(yRange([])).toBeNull()
    expect(yRange([0.5, 1, 4.2, 8])).toEqual({ min: 0, max: 10 })
    expect(yRange([0.2, 1.1, 1.8])).toEqual({ min: 0, max: 2 })
    expect(yRange([-5, 3])).toEqual({ min: -6, max: 4 })
    expect(yRange([2, 2])).toEqual({ min: 1.9, max: 2.1 })
    expect(yRange([101.3, 101.7])).toEqual({ min: 101.2, max: 101.8 }) // no float noise like 101.80000000000001
  })
  it('says in the tooltip what a bucket held and which alarm it shows, in China time', () => {
    const tooltip = (trendOption(PT, TREND, SPAN) as { tooltip: { formatter: (i: unknown[]) => string } }).tooltip
    const text = tooltip.formatter([
      { seriesName: '平均值', value: [T0 + 600_000, 1.75], data: [T0 + 600_000, 1.75] },
      { seriesName: '报警', value: [T0 + 600_000, 1.85], data: { value: [0, 1.85], alarm: TREND.alarms[0] } },
    ])
    expect(text).toContain('12-01 10:10')
    expect(text).toContain('平均 1.75 MPa')
    expect(text).toContain('最小 1.5 / 最大 1.9（10 个读数）')
    expect(text).toContain('报警：高高报 1.85 MPa')
  })
})

describe('time in China', () => {
  it('formats in China time whatever the browser zone', () => {
    expect(chinaTime(T0)).toBe('12-01 10:00')
    expect(chinaTime(T0, false)).toBe('10:00')
    expect(chinaStamp(Date.parse('2026-12-31T16:30:05Z'))).toBe('2027-01-01 00:30:05')
  })
  it('asks a window ending now with its buckets', () => {
    const q = windowQuery('week', T0)
    expect(q).toEqual({ start: '2026-11-24T02:00:00.000Z', end: '2026-12-01T02:00:00.000Z', buckets: 336 })
    expect(windowQuery('hour', T0).buckets).toBe(120)
  })
})

describe('the CSV behind the charts', () => {
  const csv = trendCsv(TREND, 300_000)
  const rows = csv.replace(/^\ufeff/, '').trimEnd().split('\r\n')

  it('has a BOM for Excel, a header and one row per sensor and bucket in order', () => {
    expect(csv.startsWith('\ufeff传感器,监测量,单位,时间(北京时间)')).toBe(true)
    expect(rows).toHaveLength(5)
    expect(rows[1]).toBe('cl-pt-01,压力,MPa,2026-12-01 10:00:00,1,1.2,1.1,10,1.6,1.8,0.2,,')
    expect(rows[4].startsWith('other,,,2026-12-01 10:10:00')).toBe(true)
  })
  it('names the alarms raised within each bucket', () => {
    expect(rows[3].endsWith(',高高报')).toBe(true)
    expect(rows[2].endsWith(',')).toBe(true)
  })
  it('quotes what would break a cell or start a formula', () => {
    const odd: Trend = {
      sensors: [],
      alarms: [],
      points: [{ sensor_id: '=HYPERLINK("x"),1', at: '2026-12-01T02:00:00Z', min: -1, max: 0, avg: -0.5, count: 1 }],
    }
    const line = trendCsv(odd, 300_000).split('\r\n')[1]
    expect(line.startsWith(`"'=HYPERLINK(""x""),1",`)).toBe(true)
    expect(line).toContain(',-1,0,-0.5,1,') // negative numbers stay numbers
  })
})
