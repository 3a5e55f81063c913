// The app's single instances: the API client, the phone's store and the sync loop.
import { ref } from 'vue'
import { Api, ApiError, browserSessionStore } from './api/client'
import type { Me } from './api/types'
import { getMeta, OfficerDb, setMeta } from './offline/db'
import { pullCases, pullLifecycle, pullRecord, pullTasks } from './offline/pull'
import { pendingCount, replay, type ReplayOutcome } from './offline/queue'

export const APP_VERSION = __APP_VERSION__
export const api = new Api(browserSessionStore)
export const db = new OfficerDb()

export const online = ref(typeof navigator === 'undefined' ? true : navigator.onLine)
export const syncing = ref(false)
export const lastSync = ref<{ at: string; outcome: ReplayOutcome } | null>(null)
export const waiting = ref(0)
export const me = ref<Me | null>(null)
export const needsLogin = ref(!api.loggedIn)

export async function refreshWaiting(): Promise<void> {
  waiting.value = await pendingCount(db)
}

/** Who is logged in: from the gateway when it answers, else as last seen on this phone. */
export async function loadMe(): Promise<Me | null> {
  try {
    const answer = await api.request<Me>('GET', '/v1/auth/me')
    me.value = answer
    await setMeta(db, 'me', answer) // the plain answer: IndexedDB cannot store a reactive proxy
  } catch {
    me.value = await getMeta<Me | null>(db, 'me', null)
  }
  return me.value
}

/** The sectors' major-hazard checklists, once a session: registering a hazard offline needs them. */
let checklistsKept = false
async function keepChecklists(): Promise<void> {
  if (checklistsKept) return
  try {
    const answer = await api.request<{ checklists: unknown[] }>('GET', '/v1/hazards/checklists')
    await setMeta(db, 'hazard-checklists', answer.checklists)
    checklistsKept = true
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) checklistsKept = true // not this role's
  }
}

/** Send the queue, then read what changed. Runs one at a time; safe to call often. */
let again = false

export async function syncNow(): Promise<ReplayOutcome | null> {
  if (!api.loggedIn) return null
  if (syncing.value) {
    again = true // a write queued during a round goes in the next one, at once
    return null
  }
  syncing.value = true
  try {
    const outcome = await replay(db, api)
    if (outcome.state === 'login') needsLogin.value = true
    if (outcome.state === 'done') {
      await Promise.all([
        pullRecord(db, api),
        pullCases(db, api),
        pullTasks(db, api),
        pullLifecycle(db, api),
        keepChecklists(),
      ]).catch(
        () => undefined, // reading can wait for the next round; nothing is lost
      )
    }
    lastSync.value = { at: new Date().toISOString(), outcome }
    return outcome
  } finally {
    syncing.value = false
    await refreshWaiting()
    if (again) {
      again = false
      void syncNow()
    }
  }
}

let timer: ReturnType<typeof setInterval> | undefined

export function startSyncLoop(): void {
  window.addEventListener('online', () => {
    online.value = true
    void syncNow()
  })
  window.addEventListener('offline', () => {
    online.value = false
  })
  clearInterval(timer)
  timer = setInterval(() => {
    if (online.value) void syncNow()
  }, 15_000)
  void refreshWaiting()
  if (api.loggedIn) void loadMe() // who is logged in decides which screens show (报警 for town officers)
  if (online.value) void syncNow()
}

/** Logout or lock: the tokens go; what the officer entered stays queued on the phone. */
export function signOut(): void {
  api.logout()
  me.value = null
  needsLogin.value = true
}
