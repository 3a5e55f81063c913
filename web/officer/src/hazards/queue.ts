// Hazard writes on the phone's queue: registering (挂号), ordering rectification, a
// rectification report and the 复查. Each is one POST made harmless to repeat (the client_id
// of a registration, an Idempotency-Key for the rest), followed by its photos' bytes PUT to the
// presigned slots the answer names. The photos stay in IndexedDB until every one is stored.
import { ApiError, type Api } from '../api/client'
import type { OfficerDb, QueuedOp, QueuedPhoto } from '../offline/db'
import { newId } from '../offline/queue'

/** caseRef prefix of hazard writes: a refusal holds back only the writes of that hazard */
export const HAZARD = 'hazard:'

export interface PhotoFile {
  blob: Blob
  sha256: string
  mediaType: string
}

interface Slot {
  photo_id: string
  sha256: string
  put_url?: string
}

interface Answer {
  hazard?: { hazard_id: string }
  hazard_id?: string
  photo_uploads?: Slot[]
}

/**
 * Queue a hazard write. `ref` is the hazard's id, or for a registration its client_id; the
 * photos' declarations (SHA-256, size, type) go into the body, their bytes into IndexedDB.
 */
export async function queueHazard(
  db: OfficerDb,
  op: { path: string; body: Record<string, unknown>; label: string; ref: string; idempotencyKey?: string },
  files: PhotoFile[] = [],
): Promise<number> {
  const photos: QueuedPhoto[] = files.map((f) => ({
    fileKey: newId(),
    sha256: f.sha256,
    size: f.blob.size,
    mediaType: f.mediaType,
  }))
  const body = JSON.parse(JSON.stringify(op.body)) as Record<string, unknown>
  if (files.length) body.photos = photos.map((p) => ({ sha256: p.sha256, size: p.size, media_type: p.mediaType }))
  return db.transaction('rw', db.ops, db.files, async () => {
    for (const [i, f] of files.entries()) await db.files.put({ key: photos[i].fileKey, blob: f.blob })
    return db.ops.add({
      kind: 'hazard',
      caseRef: HAZARD + op.ref,
      path: op.path,
      body,
      idempotencyKey: op.idempotencyKey ?? `hazard-${newId()}`,
      label: op.label,
      status: 'pending',
      attempts: 0,
      createdAt: new Date().toISOString(),
      stage: 'slot',
      photos,
    }) as Promise<number>
  })
}

/** Pair the answer's slots with the queued photos by SHA-256 (two equal photos take two slots). */
export function assignSlots(photos: QueuedPhoto[], slots: Slot[]): QueuedPhoto[] {
  const free = [...slots]
  return photos.map((p) => {
    if (p.uploaded) return p
    const i = free.findIndex((s) => s.sha256 === p.sha256)
    if (i < 0) return p
    const [s] = free.splice(i, 1)
    return { ...p, photoId: s.photo_id, putUrl: s.put_url }
  })
}

/**
 * Send one hazard write: the POST (once; its answer is kept), then each photo not yet stored.
 * A refused PUT (URL expired) asks for fresh URLs once. Returns the gateway's answer.
 */
export async function sendHazard(db: OfficerDb, api: Api, op: QueuedOp): Promise<unknown> {
  let photos = op.photos ?? []
  if (op.stage !== 'upload') {
    const answer = await api.request<Answer>('POST', op.path!, { body: op.body, idempotencyKey: op.idempotencyKey })
    const hazardId = answer.hazard?.hazard_id ?? answer.hazard_id ?? op.caseRef.slice(HAZARD.length)
    photos = assignSlots(photos, answer.photo_uploads ?? [])
    Object.assign(op, { stage: 'upload', hazardId, photos, result: answer })
    await db.ops.update(op.id!, { stage: 'upload', hazardId, photos, result: answer })
  }
  let renewed = false
  for (let i = 0; i < photos.length; i++) {
    const p = photos[i]
    if (p.uploaded || !p.photoId) continue // no slot: the gateway did not take this photo
    const file = await db.files.get(p.fileKey)
    if (!file) throw new Error(`the photo of queued write ${op.id} is missing`)
    try {
      if (!p.putUrl) throw new ApiError({ type: 'about:blank#no-url', title: '无上传地址', status: 403 })
      await api.putObject(p.putUrl, file.blob, p.mediaType)
    } catch (err) {
      // 403: the presigned URL expired (or never came): fresh URLs for all that are left.
      if (!(err instanceof ApiError) || err.status >= 500 || renewed) throw err
      renewed = true
      const left = photos.filter((x) => !x.uploaded && x.photoId)
      const fresh = await api.request<Answer>('POST', `/v1/hazards/${op.hazardId}/photo-uploads`, {
        body: { photo_ids: left.map((x) => x.photoId) },
      })
      const urls = new Map((fresh.photo_uploads ?? []).map((s) => [s.photo_id, s.put_url]))
      photos = photos.map((x) => (x.photoId && urls.has(x.photoId) ? { ...x, putUrl: urls.get(x.photoId) } : x))
      i -= 1 // this photo again, with its new URL
      continue
    }
    photos = photos.map((x, j) => (j === i ? { ...x, uploaded: true } : x))
    op.photos = photos
    await db.ops.update(op.id!, { photos })
  }
  return op.result
}

/** Photos of a hazard write the gateway gave no slot (nothing to upload them to). */
export function unplaced(op: QueuedOp): number {
  return (op.photos ?? []).filter((p) => !p.photoId).length
}
