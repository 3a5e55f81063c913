// The gas alarm inbox as pure data: alarms from the list and the live stream merged by id,
// the newest state of each winning, ordered as an officer should look at them.

/** A gas alarm (燃气报警) as the gateway sends it. */
export interface GasAlarm {
  alarm_id: string
  venue_id: string
  venue_name: string
  town: string
  level: number
  active: boolean
  critical: boolean
  acknowledged: boolean
  acknowledged_by: string
  peak_lel: number
  raised_at: string
  updated_at: string
}

/** A detector or valve that went offline, reported a fault or came back. */
export interface DeviceChange {
  device_id: string
  kind: string
  venue_id: string
  venue_name: string
  town: string
  status: string
  previous: string
  fault: string
  changed_at: string
}

export interface DeviceState {
  device_id: string
  kind: string
  status: string
  fault: string
  valve_state: string
  last_seen?: string
  open_commands: number
  last_inspected_on: string
}

export interface VenueState {
  venue: { venue_id: string; name: string; address: string; town: string; contact: string; first_lel: number; second_lel: number }
  devices: DeviceState[]
  gaps: string[]
  gap_labels: Record<string, string>
  checked_at: string
}

const time = (iso: string) => Date.parse(iso) || 0

/** Active first; among them critical, then level 2, then unacknowledged; then newest. */
export function inboxOrder(a: GasAlarm, b: GasAlarm): number {
  const rank = (x: GasAlarm) =>
    (x.active ? 8 : 0) + (x.active && x.critical ? 4 : 0) + (x.active ? x.level : 0) + (x.active && !x.acknowledged ? 1 : 0)
  return rank(b) - rank(a) || time(b.updated_at) - time(a.updated_at)
}

/** The inbox with `incoming` merged in: an older state of an alarm never replaces a newer. */
export function mergeAlarms(inbox: GasAlarm[], incoming: GasAlarm[], keep = 100): GasAlarm[] {
  const byId = new Map(inbox.map((a) => [a.alarm_id, a]))
  for (const alarm of incoming) {
    const known = byId.get(alarm.alarm_id)
    if (!known || time(alarm.updated_at) >= time(known.updated_at)) byId.set(alarm.alarm_id, alarm)
  }
  return [...byId.values()].sort(inboxOrder).slice(0, keep)
}

/** Alarms that are news to this inbox: active and not seen before. */
export function newlyRaised(inbox: GasAlarm[], incoming: GasAlarm[]): GasAlarm[] {
  const known = new Set(inbox.map((a) => a.alarm_id))
  return incoming.filter((a) => a.active && !known.has(a.alarm_id))
}

export const DEVICE_KINDS: Record<string, string> = {
  gas_detector: '可燃气体报警器',
  shutoff_valve: '紧急切断阀',
  controller: '控制器',
}

export const DEVICE_STATUS: Record<string, string> = { online: '在线', offline: '离线', fault: '故障' }

export const FAULTS: Record<string, string> = {
  'line-open': '传感器断线',
  'line-short': '传感器短路',
  power: '电源故障',
  battery: '电池欠压',
  sensor: '传感器故障',
}

/** One line for an alarm's state, in words. */
export function alarmState(a: GasAlarm): string {
  if (!a.active) return '已解除'
  if (a.critical) return '切断阀未按时关闭'
  return a.acknowledged ? '已确认，处置中' : '待确认'
}
