// The town officer's gas alarms: last known on the phone (IndexedDB), kept current over the
// gateway's live stream while the app is open, and acknowledged through the write queue.
import { showNotify } from 'vant'
import { ref } from 'vue'
import { followEventStream, type StreamEvent } from '../api/client'
import { api, db, online, syncNow } from '../app'
import { getMeta, setMeta } from '../offline/db'
import { queueCall } from '../offline/queue'
import { mergeAlarms, newlyRaised, type DeviceChange, type GasAlarm, type VenueState } from './inbox'

export const alarms = ref<GasAlarm[]>([])
export const deviceChanges = ref<DeviceChange[]>([])
export const stream = ref<'off' | 'connecting' | 'live' | 'down'>('off')
export const lastHeard = ref<string | null>(null)

let controller: AbortController | null = null

async function keep(incoming: GasAlarm[], announce: boolean) {
  const fresh = announce ? newlyRaised(alarms.value, incoming) : []
  alarms.value = mergeAlarms(alarms.value, incoming)
  await setMeta(db, 'gas.alarms', JSON.parse(JSON.stringify(alarms.value)))
  for (const a of fresh) {
    showNotify({ type: 'danger', message: `燃气报警：${a.venue_name}（${a.level} 级）`, duration: 5000 })
    navigator.vibrate?.([300, 100, 300])
  }
}

function onEvent(e: StreamEvent) {
  lastHeard.value = new Date().toISOString()
  if (e.event === 'alarm') void keep([JSON.parse(e.data) as GasAlarm], true)
  if (e.event === 'device') {
    const change = JSON.parse(e.data) as DeviceChange
    deviceChanges.value = [change, ...deviceChanges.value.filter((c) => c.device_id !== change.device_id)].slice(0, 50)
    void setMeta(db, 'gas.devices', JSON.parse(JSON.stringify(deviceChanges.value)))
  }
}

/** Load what the phone knows, then follow the stream until `stopGasInbox`. Safe to call again. */
export async function startGasInbox(): Promise<void> {
  if (controller) return
  controller = new AbortController()
  alarms.value = await getMeta<GasAlarm[]>(db, 'gas.alarms', [])
  deviceChanges.value = await getMeta<DeviceChange[]>(db, 'gas.devices', [])
  await refreshAlarms()
  stream.value = 'connecting'
  void followEventStream(api, '/v1/gas/alarms/stream?max_seconds=300', onEvent, controller.signal, (s) => {
    stream.value = s
  }).finally(() => {
    stream.value = 'off'
  })
}

export function stopGasInbox(): void {
  controller?.abort()
  controller = null
}

/** The list as the gateway has it now (recent ones too), merged into the inbox. */
export async function refreshAlarms(): Promise<void> {
  if (!online.value) return
  try {
    const answer = await api.request<{ alarms: GasAlarm[] }>('GET', '/v1/gas/alarms', { query: { active_only: false } })
    await keep(answer.alarms, false)
  } catch {
    // the phone's last known list stays; the stream or the next look brings the rest
  }
}

/** Acknowledge through the queue: sent now when online, else on reconnecting. */
export async function acknowledge(alarm: GasAlarm): Promise<void> {
  await queueCall(
    db,
    `/v1/gas/alarms/${encodeURIComponent(alarm.alarm_id)}/acknowledge`,
    {},
    `确认燃气报警：${alarm.venue_name}（${alarm.level} 级）`,
    `gas-alarm:${alarm.alarm_id}`,
  )
  await syncNow()
  // The answer is the acknowledged alarm: take it without waiting for the stream.
  const sent = await db.ops.where('caseRef').equals(`call:gas-alarm:${alarm.alarm_id}`).last()
  if (sent?.status === 'done' && sent.result) await keep([sent.result as GasAlarm], false)
}

/** A venue's devices and valves: from the gateway when it answers, else as last seen. */
export async function venueState(venueId: string): Promise<{ state: VenueState | null; cached: boolean }> {
  const key = `gas.venue.${venueId}`
  try {
    const state = await api.request<VenueState>('GET', `/v1/gas/venues/${encodeURIComponent(venueId)}`)
    await setMeta(db, key, state)
    return { state, cached: false }
  } catch {
    return { state: await getMeta<VenueState | null>(db, key, null), cached: true }
  }
}
