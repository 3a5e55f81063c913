// What the phone last read of the hazards, kept so the screens open without signal.
import { api, db } from '../app'
import { getMeta, setMeta } from '../offline/db'
import type { Checklist, Hazard } from './model'

export async function cachedHazards(): Promise<Hazard[]> {
  return getMeta<Hazard[]>(db, 'hazards', [])
}

/** The town's hazards from the gateway (kept), or as last read when it does not answer. */
export async function loadHazards(): Promise<{ hazards: Hazard[]; fresh: boolean }> {
  try {
    const answer = await api.request<{ hazards: Hazard[] }>('GET', '/v1/hazards')
    await setMeta(db, 'hazards', answer.hazards)
    return { hazards: answer.hazards, fresh: true }
  } catch {
    return { hazards: await cachedHazards(), fresh: false }
  }
}

export async function loadHazard(id: string): Promise<{ hazard: Hazard | null; fresh: boolean }> {
  try {
    const hazard = await api.request<Hazard>('GET', `/v1/hazards/${encodeURIComponent(id)}`)
    await setMeta(db, `hazard:${id}`, hazard)
    return { hazard, fresh: true }
  } catch {
    const kept = await getMeta<Hazard | null>(db, `hazard:${id}`, null)
    return { hazard: kept ?? (await cachedHazards()).find((h) => h.hazard_id === id) ?? null, fresh: false }
  }
}

export async function loadChecklists(): Promise<Checklist[]> {
  try {
    const answer = await api.request<{ checklists: Checklist[] }>('GET', '/v1/hazards/checklists')
    await setMeta(db, 'hazard-checklists', answer.checklists)
    return answer.checklists
  } catch {
    return getMeta<Checklist[]>(db, 'hazard-checklists', [])
  }
}
