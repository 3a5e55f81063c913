import { describe, expect, it } from 'vitest'
import { parseEventStream } from '../src/api/client'
import { alarmState, mergeAlarms, newlyRaised, type GasAlarm } from '../src/gas/inbox'
import { awaitsConfirmation, explain, type Verdict } from '../src/overload/inspection'

const alarm = (id: string, over: Partial<GasAlarm> = {}): GasAlarm => ({
  alarm_id: id,
  venue_id: `v-${id}`,
  venue_name: `场所 ${id}`,
  town: '薛家镇',
  level: 1,
  active: true,
  critical: false,
  acknowledged: false,
  acknowledged_by: '',
  peak_lel: 30,
  raised_at: '2026-12-01T08:00:00Z',
  updated_at: '2026-12-01T08:00:00Z',
  ...over,
})

describe('the gas alarm inbox', () => {
  it('keeps the newest state of each alarm, whatever order the list and the stream bring them in', () => {
    const acked = alarm('a', { acknowledged: true, updated_at: '2026-12-01T08:05:00Z' })
    const inbox = mergeAlarms([acked], [alarm('a')]) // an older state from the list arrives late
    expect(inbox).toEqual([acked])
    expect(mergeAlarms(inbox, [alarm('a', { active: false, updated_at: '2026-12-01T08:09:00Z' })])[0].active).toBe(false)
  })

  it('puts what needs the officer first: critical, level 2, unacknowledged, then the rest by time', () => {
    const inbox = mergeAlarms([], [
      alarm('cleared', { active: false, updated_at: '2026-12-01T09:00:00Z' }),
      alarm('acked', { acknowledged: true }),
      alarm('level1'),
      alarm('level2', { level: 2 }),
      alarm('critical', { critical: true }),
    ])
    expect(inbox.map((a) => a.alarm_id)).toEqual(['critical', 'level2', 'level1', 'acked', 'cleared'])
    expect(alarmState(inbox[0])).toBe('切断阀未按时关闭')
    expect(alarmState(inbox[3])).toBe('已确认，处置中')
  })

  it('announces only active alarms it has not seen', () => {
    const inbox = [alarm('a')]
    expect(newlyRaised(inbox, [alarm('a', { level: 2 }), alarm('b'), alarm('c', { active: false })]).map((a) => a.alarm_id)).toEqual(['b'])
  })

  it('reads the live stream in pieces as they arrive', () => {
    const first = parseEventStream('retry: 2000\n\nid: a:1\nevent: alarm\ndata: {"alarm_id":')
    expect(first.events).toEqual([])
    const second = parseEventStream(first.rest + '"a"}\n\nevent: device\r\ndata: {}\r\n\r\n: keep-alive\n\n')
    expect(second.events).toEqual([
      { event: 'alarm', data: '{"alarm_id":"a"}', id: 'a:1' },
      { event: 'device', data: '{}', id: undefined },
    ])
    expect(second.rest).toBe('')
  })
})

describe('an overload confirmation', () => {
  const verdict: Verdict = {
    rules_version: 'jt-2016-62/gb1589-2016/v2',
    rules_description: 'every item of 62号令 Art. 3 para. 2 (axle groups, ...)',
    limit_t: 49,
    limit_basis: '六轴铰接列车',
    adjustments: [],
    measured_t: 60,
    tolerance_t: 0.1,
    over_t: 10.9,
    over_limit: true,
    suspicion_only: false,
    fine_yuan: 5000,
    fine_rule: '每超1000千克罚款500元',
    fine_reading: '',
    overload_percent: 0,
    overload_fine_yuan: 0,
    overload_rule: '',
    size_violations: [],
    size_fine_yuan: 0,
    size_rule: '',
    axle_findings: [],
    hundred_tonne_king: false,
    permit_no: '',
    notes: [],
  }

  it('explains the verdict line by line: limit and why, reading and tolerance, fines, rules', () => {
    const lines = explain(verdict)
    expect(lines.map((l) => l.label)).toEqual(['限值', '实测', '结论', '超限罚款', '适用规则'])
    // the version's description is English, for developers; the officer reads Chinese
    expect(lines[4].text).toContain('62号')
    expect(lines.map((l) => l.text).join()).not.toContain('every item')
    expect(lines[0].text).toBe('49 吨（六轴铰接列车）')
    expect(lines[2].text).toBe('超限 10.9 吨')
  })

  it('names an unknown rules version without its English description', () => {
    const lines = explain({ ...verdict, rules_version: 'jt-2016-62/gb1589-2016/v9' })
    expect(lines.at(-1)).toEqual({ label: '适用规则', text: '规则版本 jt-2016-62/gb1589-2016/v9' })
  })

  it('is asked only of a static reading over the limit', () => {
    const base = { inspection_id: 'i', plate: '苏D12345', station_id: 's', last_verdict: verdict, hundred_tonne_king: false, opened_at: '', updated_at: '' }
    expect(awaitsConfirmation({ ...base, status: 'weighed' })).toBe(true)
    expect(awaitsConfirmation({ ...base, status: 'suspected' })).toBe(false)
    expect(awaitsConfirmation({ ...base, status: 'confirmed' })).toBe(false)
  })
})
