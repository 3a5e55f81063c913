// Lookups the forms need, kept on the phone so they work offline too.
import { api, db } from './app'
import type { Party } from './api/types'
import { getMeta, setMeta } from './offline/db'

export interface Colleague {
  user_id: string
  name: string
  certificate_no: string
  town?: string
}

/** The certified officers of the town (GET /v1/officers), last list kept for offline use. */
export async function colleagues(town?: string | null): Promise<Colleague[]> {
  const key = `officers.${town ?? ''}`
  try {
    const answer = await api.request<{ officers: Record<string, string>[] }>('GET', '/v1/officers', {
      query: { town: town ?? undefined },
    })
    const list = answer.officers.map((o) => ({
      user_id: o.user_id ?? o.officer_id,
      name: o.display_name ?? o.name,
      certificate_no: o.certificate_no ?? '',
      town: o.town,
    }))
    await setMeta(db, key, list)
    return list
  } catch {
    return getMeta<Colleague[]>(db, key, [])
  }
}

/** A party the phone has met before (in a case or a task), by 统一社会信用代码. */
export async function knownParty(creditCode: string): Promise<Party | null> {
  const fromCase = await db.cases.filter((c) => c.party.credit_code === creditCode).first()
  if (fromCase) return fromCase.party
  const fromTask = await db.tasks.filter((t) => t.party?.credit_code === creditCode).first()
  return fromTask?.party ?? null
}
