// The phone's own store (IndexedDB through Dexie): the write queue, the files it uploads, and
// the cases, entries and tasks last read, so the app works without a network.
import Dexie, { type EntityTable } from 'dexie'
import type { Case, Entry, Problem, Task } from '../api/types'

export type OpKind = 'open-case' | 'write' | 'evidence' | 'call' | 'hazard'
export type OpStatus = 'pending' | 'failed' | 'done' | 'discarded'
export type EvidenceStage = 'slot' | 'upload' | 'confirm'

/** A photo of a hazard write: kept on the phone until its bytes are in the object store. */
export interface QueuedPhoto {
  fileKey: string
  sha256: string
  size: number
  mediaType: string
  /** from the gateway's answer: the photo's id and where to PUT it */
  photoId?: string
  putUrl?: string
  uploaded?: boolean
}

/** One write the officer made, kept until the gateway gave a final answer. */
export interface QueuedOp {
  id?: number // auto-increment: the order the officer acted in
  kind: OpKind
  /** the case: its server id, or `local:<client_case_id>` until the case is opened */
  caseRef: string
  /** for `write`: the route below /v1/cases/{id}/, e.g. `entries`, `transitions`;
   * for `call`: the whole path, e.g. `/v1/gas/alarms/{id}/acknowledge` */
  path?: string
  body: Record<string, unknown>
  idempotencyKey: string
  /** what the officer did, in words, for the queue screen */
  label: string
  status: OpStatus
  attempts: number
  createdAt: string
  finishedAt?: string
  error?: { problem: Problem; hint: string }
  /** how often the officer edited it after a refusal */
  edits?: number
  // evidence only
  stage?: EvidenceStage
  fileKey?: string
  sha256?: string
  size?: number
  mediaType?: string
  filename?: string
  slotId?: string
  /** ETags of the parts already uploaded, by part number (resume after a break) */
  etags?: Record<number, string>
  result?: unknown
  // hazard only: the photos, and the hazard once the gateway named it
  photos?: QueuedPhoto[]
  hazardId?: string
}

export interface StoredFile {
  key: string
  blob: Blob
}

export interface CaseIdMap {
  clientCaseId: string
  caseId: string
}

export interface Meta {
  key: string
  value: unknown
}

export class OfficerDb extends Dexie {
  ops!: EntityTable<QueuedOp, 'id'>
  files!: EntityTable<StoredFile, 'key'>
  caseIds!: EntityTable<CaseIdMap, 'clientCaseId'>
  cases!: EntityTable<Case, 'case_id'>
  entries!: EntityTable<Entry, 'entry_id'>
  tasks!: EntityTable<Task, 'task_id'>
  meta!: EntityTable<Meta, 'key'>

  constructor(name = 'officer') {
    super(name)
    this.version(1).stores({
      ops: '++id, status, caseRef, kind',
      files: 'key',
      caseIds: 'clientCaseId, caseId',
      cases: 'case_id, client_case_id, stage, updated_at',
      entries: 'entry_id, case_id, [case_id+seq]',
      tasks: 'task_id, status',
      meta: 'key',
    })
  }
}

export async function getMeta<T>(db: OfficerDb, key: string, fallback: T): Promise<T> {
  const row = await db.meta.get(key)
  return row ? (row.value as T) : fallback
}

export async function setMeta(db: OfficerDb, key: string, value: unknown): Promise<void> {
  await db.meta.put({ key, value })
}
