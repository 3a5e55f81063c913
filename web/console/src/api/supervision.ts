// The logic behind the supervisors' deadline and disclosure cards, the admins' device list
// and the calendar form: plain functions with their own tests, the screens stay thin.
import type { Credentials, DeadlineItem, DeadlineKind, DeviceState, Station, VenueDevices } from './types'

export const DEADLINE_KINDS: Record<DeadlineKind, string> = {
  review: '法制审核',
  disclosure: '行政执法公示',
  art44_report: '第 44 条抄告',
  task: '检查任务',
}

export const DEADLINE_STATES: Record<string, string> = { overdue: '已逾期', due_soon: '即将到期' }

/** The deadline in words: overdue by N working days, due today, or N working days left. */
export function deadlineWords(item: Pick<DeadlineItem, 'working_days_left' | 'provisional'>): string {
  const n = item.working_days_left
  const words = n < 0 ? `逾期 ${-n} 个工作日` : n === 0 ? '今天到期' : `剩余 ${n} 个工作日`
  return item.provisional ? `${words}（暂定）` : words
}

/** The items behind one bar of the deadline chart (kind and state may be empty: all). */
export function deadlineRows(items: readonly DeadlineItem[], kind?: string, state?: string): DeadlineItem[] {
  return items.filter((i) => (!kind || i.kind === kind) && (!state || i.state === state))
}

/** A share as a percentage in words, "—" when there is nothing to count. */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return '—'
  return `${Math.round(share * 1000) / 10}%`
}

export const DEVICE_STATE: Record<string, string> = {
  online: '在线',
  offline: '离线',
  fault: '故障',
  '': '未上线',
}

export const FAULTS: Record<string, string> = {
  'line-open': '线路断路',
  'line-short': '线路短路',
  power: '电源故障',
  battery: '电池欠压',
  sensor: '传感器故障',
}

export const VALVE: Record<string, string> = { open: '开启', closed: '已关闭' }

export const COMMAND_STATUS: Record<string, string> = {
  pending: '待下发',
  delivered: '已下发，待确认',
  acknowledged: '阀门已确认关闭',
  expired: '超时未确认',
}

/** "刚刚", "N 分钟前", "N 小时前", "N 天前", or "从未上线". */
export function lastSeenText(iso: string | null | undefined, now: Date): string {
  if (!iso) return '从未上线'
  const s = Math.max(0, (now.getTime() - new Date(iso).getTime()) / 1000)
  if (s < 60) return '刚刚'
  if (s < 3600) return `${Math.floor(s / 60)} 分钟前`
  if (s < 86400) return `${Math.floor(s / 3600)} 小时前`
  return `${Math.floor(s / 86400)} 天前`
}

export interface DeviceRow {
  device_id: string
  kind: string
  owner_id: string
  owner_name: string
  town: string
  state: DeviceState | null
  credentials: Credentials | null
}

/**
 * One row per device the agency has: every registered gas device (with its venue), every
 * weigh station, and any credentials that match neither register (e.g. a device moved away),
 * ordered by town, owner and id.
 */
export function deviceRows(
  venues: readonly VenueDevices[],
  stations: readonly Station[],
  credentials: readonly Credentials[],
): DeviceRow[] {
  const byId = new Map(credentials.map((c) => [c.device_id, c]))
  const used = new Set<string>()
  const rows: DeviceRow[] = []
  for (const v of venues) {
    for (const d of v.devices) {
      const c = byId.get(d.device.device_id) ?? null
      if (c) used.add(c.device_id)
      rows.push({ device_id: d.device.device_id, kind: d.device.kind, owner_id: v.venue.venue_id, owner_name: v.venue.name, town: v.venue.town, state: d, credentials: c })
    }
  }
  const stationById = new Map(stations.map((s) => [s.station_id, s]))
  for (const c of credentials) {
    if (used.has(c.device_id) || c.kind !== 'weigh_station') continue
    used.add(c.device_id)
    const s = stationById.get(c.owner_id)
    rows.push({ device_id: c.device_id, kind: c.kind, owner_id: c.owner_id, owner_name: s?.name ?? '', town: s?.town ?? '', state: null, credentials: c })
  }
  // stations without a device credential yet: a row to issue one from
  for (const s of stations) {
    if (rows.some((r) => r.kind === 'weigh_station' && r.owner_id === s.station_id)) continue
    rows.push({ device_id: '', kind: 'weigh_station', owner_id: s.station_id, owner_name: s.name, town: s.town, state: null, credentials: null })
  }
  for (const c of credentials) {
    if (!used.has(c.device_id)) rows.push({ device_id: c.device_id, kind: c.kind, owner_id: c.owner_id, owner_name: '', town: '', state: null, credentials: c })
  }
  return rows.sort((a, b) => a.town.localeCompare(b.town) || a.owner_id.localeCompare(b.owner_id) || a.device_id.localeCompare(b.device_id))
}

/**
 * Dates typed from the State Council's notice: one per line or separated by commas or
 * spaces, a range as 2027-01-28~2027-02-03 (or with 至 / —). Sorted, each once; the bad
 * pieces are returned so the form can name them.
 */
export function parseDates(text: string): { dates: string[]; bad: string[] } {
  const out = new Set<string>()
  const bad: string[] = []
  const valid = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s)
  for (const piece of text.split(/[\s,，、;；]+/).filter(Boolean)) {
    const range = piece.split(/~|至|—|–/)
    if (range.length === 2 && valid(range[0]) && valid(range[1]) && range[0] <= range[1]) {
      const day = new Date(`${range[0]}T00:00:00Z`)
      const end = new Date(`${range[1]}T00:00:00Z`)
      for (let n = 0; day <= end && n < 60; n++) {
        out.add(day.toISOString().slice(0, 10))
        day.setUTCDate(day.getUTCDate() + 1)
      }
    } else if (range.length === 1 && valid(piece)) {
      out.add(piece)
    } else {
      bad.push(piece)
    }
  }
  return { dates: [...out].sort(), bad }
}

// The audit log's routes in words; an unknown route is shown as it is.
const ACTIONS: [string, string, string][] = [
  ['POST', '/v1/cases', '立案登记'],
  ['POST', '/v1/cases/{case_id}/transitions', '案件环节流转'],
  ['POST', '/v1/cases/{case_id}/entries', '记录执法过程'],
  ['POST', '/v1/cases/{case_id}/evidence-slots', '上传证据'],
  ['POST', '/v1/cases/{case_id}/evidence-slots/{slot_id}/confirm', '确认证据'],
  ['POST', '/v1/cases/{case_id}/penalty-proposals', '提出处罚建议'],
  ['POST', '/v1/cases/{case_id}/decision', '作出处罚决定'],
  ['POST', '/v1/cases/{case_id}/revocation', '撤销处罚决定'],
  ['POST', '/v1/reviews/{review_id}/outcome', '作出法制审核意见'],
  ['POST', '/v1/reviews/{review_id}/extension', '审核延期'],
  ['POST', '/v1/reviews/{review_id}/assignment', '分派审核任务'],
  ['POST', '/v1/reviews/conflicts', '登记审核回避'],
  ['POST', '/v1/users', '开设账号'],
  ['PATCH', '/v1/users/{user_id}', '修改账号'],
  ['POST', '/v1/users/{user_id}/password-reset', '重置密码'],
  ['POST', '/v1/auth/password', '修改本人密码'],
  ['POST', '/v1/devices/{device_id}/credentials', '签发设备凭据'],
  ['POST', '/v1/devices/{device_id}/credentials/rotate', '轮换设备密钥'],
  ['POST', '/v1/devices/{device_id}/credentials/revoke', '吊销设备凭据'],
  ['PUT', '/v1/gas/venues/{venue_id}', '登记或修改燃气场所'],
  ['PUT', '/v1/gas/devices/{device_id}', '登记燃气设备'],
  ['POST', '/v1/gas/alarms/{alarm_id}/acknowledge', '燃气报警接警'],
  ['PUT', '/v1/overload/stations/{station_id}', '登记或修改检测站'],
  ['POST', '/v1/overload/weighings', '录入称重'],
  ['POST', '/v1/overload/inspections/{inspection_id}/steps', '治超现场处置'],
  ['POST', '/v1/overload/reports/{report_id}/sent', '抄告已发送'],
  ['POST', '/v1/overload/referrals/{referral_id}/acknowledgement', '移送已签收'],
  ['POST', '/v1/calendar/years', '录入节假日安排'],
]

export function actionText(method: string, route: string): string {
  return ACTIONS.find(([m, r]) => m === method && r === route)?.[2] ?? `${method} ${route}`
}
