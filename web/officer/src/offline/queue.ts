// The write queue. Every write the officer makes goes here first, with the ids that make a
// retry harmless (client ids and an Idempotency-Key). Replay keeps the officer's order per
// case: files are uploaded first, then the record writes (evidence confirmations and entries)
// follow in the order they were made, so an entry never cites a file the server lacks.
import { Api, ApiError, NetworkError, SessionExpired } from '../api/client'
import type { Case, EvidenceSlot, Problem } from '../api/types'
import { sendHazard } from '../hazards/queue'
import { OfficerDb, type QueuedOp } from './db'

export const LOCAL = 'local:'
/** caseRef prefix of writes outside a case (`call`) */
export const CALL = 'call:'

export function newId(): string {
  return crypto.randomUUID()
}

const now = () => new Date().toISOString()

/** What the officer should do about a refusal, in words. */
export function hintFor(problem: Problem): string {
  const slug = problem.type.split('/').pop() ?? ''
  switch (slug) {
    case 'not-allowed-now':
      return '当前状态不允许这一步：打开案件看可以进行的下一步；情况变了就重试，或修改后重发，或放弃这一条。'
    case 'already-exists':
      return '这个编号已被另一条记录使用：放弃这一条，重新录入。'
    case 'invalid-request':
    case 'validation-error':
      return '内容不符合要求：点「修改后重发」按上面的说明改正，或放弃这一条。'
    case 'forbidden':
      return '您不是这个案件的执法人员，或没有这项权限：请联系案件承办人。'
    case 'not-found':
      return '案件不存在或不在您的辖区：请联系管理员。'
    case 'idempotency-key-mismatch':
    case 'idempotency-key-reused':
      return '同一请求编号的内容不同：点「修改后重发」换一个编号再发，或放弃这一条。'
    case 'conflict':
      return '与服务器上已有的数据冲突：核对后修改重发，或放弃这一条。'
    default:
      return '请求被拒绝：查看说明；改正后重新录入，或联系管理员。'
  }
}

export interface Queue {
  db: OfficerDb
}

async function add(db: OfficerDb, op: Omit<QueuedOp, 'status' | 'attempts' | 'createdAt'>) {
  // A JSON copy: what is queued is exactly what will be sent, with no reactive wrappers.
  const body = JSON.parse(JSON.stringify(op.body)) as Record<string, unknown>
  return db.ops.add({ ...op, body, status: 'pending', attempts: 0, createdAt: now() })
}

/** Open a case offline: the case is known as `local:<client_case_id>` until the server has it. */
export async function queueOpenCase(db: OfficerDb, body: Record<string, unknown>, label: string) {
  const clientCaseId = String(body.client_case_id)
  await add(db, {
    kind: 'open-case',
    caseRef: LOCAL + clientCaseId,
    body,
    idempotencyKey: `case-${clientCaseId}`,
    label,
  })
  return LOCAL + clientCaseId
}

/** A record write below /v1/cases/{id}/: entries, transitions, penalty-proposals, decision. */
export async function queueWrite(
  db: OfficerDb,
  caseRef: string,
  path: string,
  body: Record<string, unknown>,
  label: string,
) {
  const clientEntryId = (body.client_entry_id as string) ?? newId()
  return add(db, {
    kind: 'write',
    caseRef,
    path,
    body: { ...body, client_entry_id: clientEntryId },
    idempotencyKey: `${path}-${clientEntryId}`,
    label,
  })
}

/**
 * A write outside a case's record (acknowledging a gas alarm, confirming an overload): POSTed
 * to `path` as is. `ref` groups the writes of one thing, so a refusal holds back only its own.
 */
export async function queueCall(
  db: OfficerDb,
  path: string,
  body: Record<string, unknown>,
  label: string,
  ref: string,
) {
  return add(db, {
    kind: 'call',
    caseRef: CALL + ref,
    path,
    body,
    idempotencyKey: `call-${newId()}`,
    label,
  })
}

/** A file for the record: kept in IndexedDB until it is uploaded and confirmed. */
export async function queueEvidence(
  db: OfficerDb,
  caseRef: string,
  file: Blob,
  sha256: string,
  meta: { mediaType: string; filename: string; confirm: Record<string, unknown> },
  label: string,
) {
  const key = newId()
  return db.transaction('rw', db.ops, db.files, async () => {
    await db.files.put({ key, blob: file })
    return add(db, {
      kind: 'evidence',
      caseRef,
      body: meta.confirm,
      idempotencyKey: `evidence-${key}`,
      label,
      stage: 'slot',
      fileKey: key,
      sha256,
      size: file.size,
      mediaType: meta.mediaType,
      filename: meta.filename,
    })
  })
}

export type ReplayOutcome =
  | { state: 'done'; sent: number; failed: number }
  | { state: 'offline'; sent: number; failed: number; reason: string }
  | { state: 'login'; sent: number; failed: number }

class Stop extends Error {
  constructor(public readonly outcome: 'offline' | 'login', reason: string) {
    super(reason)
  }
}

/** Send everything pending, in order. Safe to run again at any point: every call is idempotent. */
export async function replay(db: OfficerDb, api: Api): Promise<ReplayOutcome> {
  let sent = 0
  let failed = 0
  try {
    const pending = await db.ops.where('status').equals('pending').sortBy('id')
    // A case whose earlier write was refused holds its later writes back, in order.
    const held = new Set(
      (await db.ops.where('status').equals('failed').toArray()).map((op) => op.caseRef),
    )
    const attempt = async (op: QueuedOp, step: () => Promise<void>) => {
      if (held.has(op.caseRef)) return
      // An attempt counts once the server answered; a phone without signal tries freely.
      const answered = async () => {
        op.attempts += 1
        await db.ops.update(op.id!, { attempts: op.attempts })
      }
      try {
        await step()
      } catch (err) {
        if (err instanceof SessionExpired) throw new Stop('login', err.message)
        if (err instanceof NetworkError) throw new Stop('offline', err.message)
        await answered()
        if (err instanceof ApiError && err.transient) throw new Stop('offline', err.message)
        if (err instanceof ApiError) {
          held.add(op.caseRef)
          failed += 1
          await db.ops.update(op.id!, {
            status: 'failed',
            error: { problem: err.problem, hint: hintFor(err.problem) },
          })
          return
        }
        throw err
      }
    }

    // 1. cases opened offline, so that everything after has a case id
    for (const op of pending.filter((o) => o.kind === 'open-case')) {
      await attempt(op, async () => {
        const opened = await api.request<Case>('POST', '/v1/cases', {
          body: op.body,
          idempotencyKey: op.idempotencyKey,
        })
        await db.transaction('rw', db.ops, db.caseIds, db.cases, async () => {
          await db.caseIds.put({ clientCaseId: String(op.body.client_case_id), caseId: opened.case_id })
          await db.cases.put(opened)
          await finish(db, op, opened)
        })
        sent += 1
      })
    }
    // 2. files: slot and bytes; nothing joins the record yet
    for (const op of pending.filter((o) => o.kind === 'evidence')) {
      const caseId = await resolveCase(db, op.caseRef)
      if (!caseId) continue
      await attempt(op, () => upload(db, api, op, caseId))
    }
    // 3. the record: confirmations and entries, in the officer's order
    for (const op of await db.ops.where('status').equals('pending').sortBy('id')) {
      if (op.kind === 'open-case') continue
      if (op.kind === 'hazard') {
        await attempt(op, async () => {
          await finish(db, op, await sendHazard(db, api, op))
          sent += 1
        })
        continue
      }
      if (op.kind === 'call') {
        await attempt(op, async () => {
          const answer = await api.request<unknown>('POST', op.path!, {
            body: op.body,
            idempotencyKey: op.idempotencyKey,
          })
          await finish(db, op, answer)
          sent += 1
        })
        continue
      }
      const caseId = await resolveCase(db, op.caseRef)
      if (!caseId) continue
      if (op.kind === 'evidence') {
        if (op.stage !== 'confirm') continue // its upload was held back above
        await attempt(op, async () => {
          await confirm(db, api, op, caseId)
          sent += 1
        })
      } else {
        await attempt(op, async () => {
          const answer = await api.request<unknown>('POST', `/v1/cases/${caseId}/${op.path}`, {
            body: op.body,
            idempotencyKey: op.idempotencyKey,
          })
          await db.transaction('rw', db.ops, db.cases, async () => {
            const changed = (answer as { case?: Case }).case
            if (changed) await db.cases.put(changed)
            await finish(db, op, answer)
          })
          sent += 1
        })
      }
    }
    return { state: 'done', sent, failed }
  } catch (err) {
    if (err instanceof Stop) return { state: err.outcome, sent, failed, reason: err.message } as ReplayOutcome
    throw err
  }
}

async function finish(db: OfficerDb, op: QueuedOp, result: unknown) {
  await db.ops.update(op.id!, { status: 'done', finishedAt: now(), result, error: undefined })
  await freeFiles(db, op)
}

async function freeFiles(db: OfficerDb, op: QueuedOp) {
  if (op.fileKey) await db.files.delete(op.fileKey)
  for (const p of op.photos ?? []) await db.files.delete(p.fileKey)
}

export async function resolveCase(db: OfficerDb, caseRef: string): Promise<string | null> {
  if (!caseRef.startsWith(LOCAL)) return caseRef
  const row = await db.caseIds.get(caseRef.slice(LOCAL.length))
  return row?.caseId ?? null
}

async function upload(db: OfficerDb, api: Api, op: QueuedOp, caseId: string) {
  if (op.stage === 'confirm') return
  const file = await db.files.get(op.fileKey!)
  if (!file) throw new Error(`the file of queued write ${op.id} is missing`)
  // Asking again with the same client_slot_id renews the URLs; parts already sent are skipped.
  const slot = await api.request<EvidenceSlot>('POST', `/v1/cases/${caseId}/evidence-slots`, {
    body: {
      client_slot_id: op.fileKey,
      sha256: op.sha256,
      size: op.size,
      media_type: op.mediaType,
      filename: op.filename,
    },
    idempotencyKey: `${op.idempotencyKey}-slot-${op.attempts}`,
  })
  if (slot.status === 'attached' && slot.entry) {
    await finish(db, op, slot.entry)
    return
  }
  const etags: Record<number, string> = { ...(op.etags ?? {}) }
  if (slot.put_url) {
    await api.putObject(slot.put_url, file.blob, op.mediaType)
  } else {
    let offset = 0
    for (const part of slot.parts) {
      const bytes = file.blob.slice(offset, offset + part.size)
      offset += part.size
      if (etags[part.part_number]) continue
      etags[part.part_number] = await api.putObject(part.url, bytes)
      await db.ops.update(op.id!, { etags })
    }
  }
  await db.ops.update(op.id!, { stage: 'confirm', slotId: slot.slot_id, etags })
  op.stage = 'confirm'
  op.slotId = slot.slot_id
  op.etags = etags
}

async function confirm(db: OfficerDb, api: Api, op: QueuedOp, caseId: string) {
  const parts = Object.entries(op.etags ?? {}).map(([n, etag]) => ({ part_number: Number(n), etag }))
  try {
    const entry = await api.request<unknown>(
      'POST',
      `/v1/cases/${caseId}/evidence-slots/${op.slotId}/confirm`,
      {
        body: { ...op.body, ...(parts.length ? { parts } : {}) },
        idempotencyKey: `${op.idempotencyKey}-confirm-${op.slotId}`,
      },
    )
    await finish(db, op, entry)
  } catch (err) {
    // The server found nothing, or other bytes, and discarded the upload: send it once more.
    if (err instanceof ApiError && err.status === 409 && op.attempts < 3) {
      op.attempts += 1 // the next slot request gets a fresh key, so fresh URLs
      await db.ops.update(op.id!, { stage: 'slot', slotId: undefined, etags: {}, attempts: op.attempts })
      return
    }
    throw err
  }
}

/** The officer asks to try a refused write again (after the case changed). */
export async function retryOp(db: OfficerDb, id: number) {
  await db.ops.update(id, { status: 'pending', error: undefined })
}

/**
 * The officer corrected a refused write: it goes again with the corrected body under a new
 * Idempotency-Key (the gateway keeps the refusal under the old one) and, for a record entry,
 * a new client_entry_id. A case keeps its client_case_id: the writes after it refer to it.
 */
export async function editOp(db: OfficerDb, id: number, body: Record<string, unknown>) {
  const op = await db.ops.get(id)
  if (!op || op.status !== 'failed') return
  const edits = (op.edits ?? 0) + 1
  const next = JSON.parse(JSON.stringify(body)) as Record<string, unknown>
  let idempotencyKey = `${op.idempotencyKey.replace(/-edit\d+$/, '')}-edit${edits}`
  if (op.kind === 'write') {
    next.client_entry_id = newId()
    idempotencyKey = `${op.path}-${next.client_entry_id}`
  }
  await db.ops.update(id, { body: next, idempotencyKey, edits, status: 'pending', error: undefined })
}

/** The officer gives a refused write up; it stays listed as discarded, its file is freed. */
export async function discardOp(db: OfficerDb, id: number) {
  const op = await db.ops.get(id)
  if (!op || op.status === 'done') return
  await db.ops.update(id, { status: 'discarded', finishedAt: now() })
  await freeFiles(db, op)
}

export async function pendingCount(db: OfficerDb): Promise<number> {
  return db.ops.where('status').anyOf('pending', 'failed').count()
}
