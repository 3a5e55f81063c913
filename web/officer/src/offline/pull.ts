// Reading side of offline work: the officer's cases, their records and open tasks are copied
// to the phone by cursor, so they stay readable without a network.
import type { Api } from '../api/client'
import type { Case, SyncPage, Task } from '../api/types'
import { getMeta, setMeta, type OfficerDb } from './db'

/** Fetch what changed since the last cursor; returns how many entries arrived. */
export async function pullRecord(db: OfficerDb, api: Api): Promise<number> {
  let cursor = await getMeta<number>(db, 'sync.cursor', 0)
  let received = 0
  for (;;) {
    const page = await api.request<SyncPage>('GET', '/v1/sync', { query: { cursor, limit: 200 } })
    await db.transaction('rw', db.cases, db.entries, db.meta, async () => {
      await db.cases.bulkPut(page.cases)
      await db.entries.bulkPut(page.entries)
      await setMeta(db, 'sync.cursor', page.next_cursor)
    })
    received += page.entries.length
    cursor = page.next_cursor
    if (!page.more) return received
  }
}

/** The officer's own cases as they are now (stage, review status), newest first. */
export async function pullCases(db: OfficerDb, api: Api): Promise<void> {
  const answer = await api.request<{ cases: Case[] }>('GET', '/v1/cases', {
    query: { mine: true, page_size: 200 },
  })
  await db.cases.bulkPut(answer.cases)
}

export async function pullTasks(db: OfficerDb, api: Api): Promise<void> {
  const answer = await api.request<{ tasks: Task[] }>('GET', '/v1/tasks', { query: { status: 'open' } })
  await db.transaction('rw', db.tasks, async () => {
    await db.tasks.clear()
    await db.tasks.bulkPut(answer.tasks)
  })
}

/** One case's whole record, when it is opened online (it may not be the officer's own). */
export async function pullTimeline(db: OfficerDb, api: Api, caseId: string): Promise<void> {
  const t = await api.request<{ case: Case; entries: SyncPage['entries'] }>(
    'GET',
    `/v1/cases/${caseId}/timeline`,
  )
  await db.transaction('rw', db.cases, db.entries, async () => {
    await db.cases.put(t.case)
    await db.entries.bulkPut(t.entries)
  })
}

/** The case lifecycle as the server publishes it, for offering stage moves offline. */
export async function pullLifecycle(db: OfficerDb, api: Api): Promise<void> {
  const answer = await api.request<{ stages: unknown[] }>('GET', '/v1/lifecycle')
  await setMeta(db, 'lifecycle', answer.stages)
}
