import { describe, expect, it } from 'vitest'
import { actionText, deadlineRows, deadlineWords, deviceRows, lastSeenText, parseDates, percent } from '../src/api/supervision'
import type { Credentials, DeadlineItem, Station, VenueDevices } from '../src/api/types'

const item = (over: Partial<DeadlineItem>): DeadlineItem => ({
  kind: 'review', ref_id: 'r', case_id: 'c', title: 't', town: '薛家镇', due_date: '2026-12-01',
  working_days_left: 0, state: 'due_soon', provisional: false, ...over,
})

describe('deadlines about to be missed', () => {
  it('says overdue, due today and days left in working days', () => {
    expect(deadlineWords(item({ working_days_left: -3 }))).toBe('逾期 3 个工作日')
    expect(deadlineWords(item({ working_days_left: 0 }))).toBe('今天到期')
    expect(deadlineWords(item({ working_days_left: 2, provisional: true }))).toBe('剩余 2 个工作日（暂定）')
  })
  it('lists the items behind one bar of the chart', () => {
    const items = [item({ ref_id: 'a' }), item({ ref_id: 'b', kind: 'task', state: 'overdue' }), item({ ref_id: 'c', state: 'overdue' })]
    expect(deadlineRows(items, 'review', 'overdue').map((i) => i.ref_id)).toEqual(['c'])
    expect(deadlineRows(items, '', 'overdue').map((i) => i.ref_id)).toEqual(['b', 'c'])
    expect(deadlineRows(items).length).toBe(3)
  })
  it('writes a share as a percentage, nothing to count as a dash', () => {
    expect(percent(0.8571)).toBe('85.7%')
    expect(percent(1)).toBe('100%')
    expect(percent(null)).toBe('—')
  })
})

describe('the device list', () => {
  const cred = (device_id: string, kind: string, owner_id: string): Credentials => ({
    device_id, kind, owner_id, status: 'active', created_at: '2026-12-01T00:00:00Z', rotated_at: null,
    revoked_at: null, previous_valid_until: null, secret: null,
  })
  const venue: VenueDevices = {
    venue: { venue_id: 'v1', name: '老街面馆', credit_code: '', address: '', agency_id: 'a', town: '薛家镇', contact: '', first_lel: 25, second_lel: 50, sustain: 2 },
    devices: [
      { device: { device_id: 'det-1', venue_id: 'v1', kind: 'gas_detector', model: '', serial: '', installed_on: '', last_inspected_on: '' }, status: 'online', fault: '', valve_state: '', last_seen: '2026-12-01T00:00:00Z' },
      { device: { device_id: 'valve-1', venue_id: 'v1', kind: 'shutoff_valve', model: '', serial: '', installed_on: '', last_inspected_on: '' }, status: '', fault: '', valve_state: 'open', last_seen: null },
    ],
    commands: [],
  }
  const stations: Station[] = [
    { station_id: 's1', name: '龙城检测站', kind: 'fixed', agency_id: 'a', town: '罗溪镇', scale: { kind: 'wim', accuracy_class: '5', interval_kg: 20, verified_on: '' } },
    { station_id: 's2', name: '新桥检测站', kind: 'fixed', agency_id: 'a', town: '新桥街道', scale: { kind: 'static', accuracy_class: 'III', interval_kg: 20, verified_on: '' } },
  ]
  it('joins the registers with the credentials, and keeps credentials of no register', () => {
    const rows = deviceRows([venue], stations, [cred('det-1', 'gas_detector', 'v1'), cred('ws-1', 'weigh_station', 's1'), cred('old-9', 'gas_detector', 'v9')])
    const byId = Object.fromEntries(rows.map((r) => [`${r.device_id}/${r.owner_id}`, r]))
    expect(byId['det-1/v1'].credentials?.status).toBe('active')
    expect(byId['det-1/v1'].state?.status).toBe('online')
    expect(byId['valve-1/v1'].credentials).toBeNull()
    expect(byId['ws-1/s1'].owner_name).toBe('龙城检测站')
    expect(byId['/s2'].kind).toBe('weigh_station') // a station without credentials yet
    expect(byId['old-9/v9'].town).toBe('')
    expect(rows.length).toBe(5)
  })
  it('says when a device was last heard from', () => {
    const now = new Date('2026-12-01T10:00:00Z')
    expect(lastSeenText(null, now)).toBe('从未上线')
    expect(lastSeenText('2026-12-01T09:59:30Z', now)).toBe('刚刚')
    expect(lastSeenText('2026-12-01T09:45:00Z', now)).toBe('15 分钟前')
    expect(lastSeenText('2026-11-28T10:00:00Z', now)).toBe('3 天前')
  })
})

describe('the holiday calendar form', () => {
  it('reads days and ranges from the notice, each once and in order', () => {
    expect(parseDates('2027-01-01\n2027-02-05~2027-02-07, 2027-01-01').dates).toEqual(['2027-01-01', '2027-02-05', '2027-02-06', '2027-02-07'])
    expect(parseDates('2027-10-01至2027-10-03').dates.length).toBe(3)
  })
  it('names what it cannot read', () => {
    expect(parseDates('2027-02-30 明天 2027-05-01').bad).toEqual(['2027-02-30', '明天'])
  })
})

describe('the audit log in words', () => {
  it('names a known change and shows an unknown route as it is', () => {
    expect(actionText('POST', '/v1/reviews/{review_id}/outcome')).toBe('作出法制审核意见')
    expect(actionText('DELETE', '/v1/things/{id}')).toBe('DELETE /v1/things/{id}')
  })
})
