// The gateway's routes the console uses, typed, in one place.
import { Api, browserSessionStore } from './client'
import { parseSse, type SseEvent } from './sse'
import type {
  AlarmList,
  CaseList,
  Coverage,
  Credentials,
  DeviceKind,
  Me,
  OverloadStatistics,
  RepeatOffenders,
  ReviewStatistics,
  ReviewTask,
  TaskDetail,
  Timeliness,
  UserChange,
  UserIn,
  UserOut,
  CheckItem,
  AuditEntry,
  CalendarState,
  Deadlines,
  DisclosureTimeliness,
  Station,
  VenueDevices,
  HazardRow,
  HazardStats,
  LedgerGroup,
} from './types'
import type { Alarm as HazardSourceAlarm, Trend, UnitDetail, UnitSummary } from './hazardSources'

export const api = new Api(browserSessionStore)

export const auth = {
  login: (username: string, password: string) => api.login(username, password),
  logout: () => api.logout(),
  me: () => api.request<Me>('GET', '/v1/auth/me'),
}

export const reviews = {
  mine: (openOnly = false) =>
    api.request<{ tasks: ReviewTask[] }>('GET', '/v1/reviews/mine', { query: { open_only: openOnly } }),
  get: (id: string) => api.request<TaskDetail>('GET', `/v1/reviews/${encodeURIComponent(id)}`),
  complete: (
    id: string,
    body: { outcome: string; checklist: CheckItem[]; opinion: string; meeting?: { held_on: string; participants: string[]; minutes: string } },
  ) =>
    api.request<ReviewTask>('POST', `/v1/reviews/${encodeURIComponent(id)}/outcome`, { body }),
  referToMeeting: (id: string, reason: string) =>
    api.request<ReviewTask>('POST', `/v1/reviews/${encodeURIComponent(id)}/meeting`, { body: { reason } }),
  extend: (id: string, reason: string) =>
    api.request<ReviewTask>('POST', `/v1/reviews/${encodeURIComponent(id)}/extension`, {
      body: { reason },
    }),
  // supervisors
  all: (query: { open_only?: boolean; overdue?: boolean } = {}) =>
    api.request<{ tasks: ReviewTask[] }>('GET', '/v1/reviews', { query }),
  stats: () => api.request<ReviewStatistics>('GET', '/v1/reviews/stats'),
}

export const cases = {
  list: (query: { town?: string; stage?: string; page_size?: number; page_token?: string } = {}) =>
    api.request<CaseList>('GET', '/v1/cases', { query }),
  /** Every case (all pages, at most `limit`): the dashboard counts them by stage and town. */
  async all(limit = 2000): Promise<CaseList['cases']> {
    const out: CaseList['cases'] = []
    let token: string | undefined
    do {
      const page = await cases.list({ page_size: 200, page_token: token })
      out.push(...page.cases)
      token = page.next_page_token ?? undefined
    } while (token && out.length < limit)
    return out
  },
}

export const supervision = {
  timeliness: () => api.request<Timeliness>('GET', '/v1/stats/timeliness'),
  coverage: () => api.request<Coverage>('GET', '/v1/gas/coverage'),
  overload: () => api.request<OverloadStatistics>('GET', '/v1/overload/statistics'),
  repeatOffenders: () => api.request<RepeatOffenders>('GET', '/v1/overload/repeat-offenders'),
  deadlines: (within = 2) => api.request<Deadlines>('GET', '/v1/stats/deadlines', { query: { within } }),
  disclosure: (query: { date_from?: string; date_to?: string } = {}) =>
    api.request<DisclosureTimeliness>('GET', '/v1/stats/disclosure-timeliness', { query }),
}

export const gas = {
  alarms: (activeOnly: boolean) =>
    api.request<AlarmList>('GET', '/v1/gas/alarms', { query: { active_only: activeOnly } }),
  /**
   * Follow /v1/gas/alarms/stream until `signal` aborts; calls `onEvent` for each `alarm` or
   * `device` event. Reconnects after the server's max_seconds or a dropped connection.
   */
  async follow(onEvent: (e: SseEvent) => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const token = await api.bearer()
        const response = await fetch('/v1/gas/alarms/stream?max_seconds=300', {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          signal,
        })
        if (!response.ok || !response.body) throw new Error(`stream ${response.status}`)
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          const parsed = parseSse(buffer + value)
          buffer = parsed.rest
          parsed.events.forEach(onEvent)
        }
      } catch {
        if (signal.aborted) return
      }
      await new Promise((r) => setTimeout(r, 2000))
    }
  },
}

export const users = {
  list: () => api.request<UserOut[]>('GET', '/v1/users'),
  create: (body: UserIn) => api.request<UserOut>('POST', '/v1/users', { body }),
  change: (id: string, body: UserChange) =>
    api.request<UserOut>('PATCH', `/v1/users/${encodeURIComponent(id)}`, { body }),
  resetPassword: (id: string) =>
    api.request<UserOut>('POST', `/v1/users/${encodeURIComponent(id)}/password-reset`),
}

export const devices = {
  list: () => api.request<{ devices: Credentials[] }>('GET', '/v1/devices'),
  get: (id: string) => api.request<Credentials>('GET', `/v1/devices/${encodeURIComponent(id)}/credentials`),
  provision: (id: string, kind: DeviceKind, owner_id: string) =>
    api.request<Credentials>('POST', `/v1/devices/${encodeURIComponent(id)}/credentials`, {
      body: { kind, owner_id },
    }),
  rotate: (id: string) =>
    api.request<Credentials>('POST', `/v1/devices/${encodeURIComponent(id)}/credentials/rotate`),
  revoke: (id: string) =>
    api.request<Credentials>('POST', `/v1/devices/${encodeURIComponent(id)}/credentials/revoke`),
}

export { ApiError, NetworkError, SessionExpired } from './client'
export { explain } from './problems'

/** The official calendar's state (supervisors and admins): the missing-year warning. */
export const calendar = {
  state: () => api.request<CalendarState>('GET', '/v1/calendar'),
  enter: (body: { year: number; notice_no: string; holidays: string[]; makeup_days: string[]; note?: string }) =>
    api.request<unknown>('POST', '/v1/calendar/years', { body }),
}

/** The registers: venues with their devices' state (owners: their own venue), weigh stations. */
export const registers = {
  venues: () => api.request<{ venues: VenueDevices[] }>('GET', '/v1/gas/venues'),
  putVenue: (id: string, body: Record<string, unknown>) =>
    api.request<unknown>('PUT', `/v1/gas/venues/${encodeURIComponent(id)}`, { body }),
  putDevice: (id: string, body: Record<string, unknown>) =>
    api.request<unknown>('PUT', `/v1/gas/devices/${encodeURIComponent(id)}`, { body }),
  stations: () => api.request<{ stations: Station[] }>('GET', '/v1/overload/stations'),
  putStation: (id: string, body: Record<string, unknown>) =>
    api.request<unknown>('PUT', `/v1/overload/stations/${encodeURIComponent(id)}`, { body }),
}

/** Who did what in the agency (admins). */
export const audit = {
  list: (query: { user_id?: string; before_id?: number; limit?: number } = {}) =>
    api.request<{ entries: AuditEntry[]; next_before_id: number | null }>('GET', '/v1/audit', { query }),
}

/** Hazards (隐患挂号整改): the register's views for supervisors. */
export const hazards = {
  list: (query: { status?: string; grade?: string; town?: string; sector?: string } = {}) =>
    api.request<{ hazards: HazardRow[] }>('GET', '/v1/hazards', { query }),
  overdue: () => api.request<{ today: string; hazards: HazardRow[] }>('GET', '/v1/hazards/overdue'),
  ledger: (by: 'enterprise' | 'town' | 'sector') =>
    api.request<{ by: string; groups: LedgerGroup[] }>('GET', '/v1/hazards/ledger', { query: { by } }),
  stats: () => api.request<HazardStats>('GET', '/v1/hazards/stats'),
}

/** Major hazard sources (重大危险源在线监测预警): units, alarms, trends. */
export const hazardSources = {
  units: () => api.request<{ units: UnitSummary[] }>('GET', '/v1/hazard-sources/units'),
  unit: (id: string) => api.request<UnitDetail>('GET', `/v1/hazard-sources/units/${encodeURIComponent(id)}`),
  alarms: (query: { unit_id?: string; open_only?: boolean } = {}) =>
    api.request<{ alarms: HazardSourceAlarm[] }>('GET', '/v1/hazard-sources/alarms', { query }),
  trend: (id: string, query: { start: string; end: string; buckets: number }) =>
    api.request<Trend>('GET', `/v1/hazard-sources/units/${encodeURIComponent(id)}/trend`, { query }),
  acknowledge: (alarmId: string) =>
    api.request<HazardSourceAlarm>('POST', `/v1/hazard-sources/alarms/${encodeURIComponent(alarmId)}/acknowledge`),
  handle: (alarmId: string, reason: string) =>
    api.request<HazardSourceAlarm>('POST', `/v1/hazard-sources/alarms/${encodeURIComponent(alarmId)}/handle`, {
      body: { reason },
    }),
}
