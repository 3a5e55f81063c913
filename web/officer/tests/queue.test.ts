import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Api, type Session, type SessionStore } from '../src/api/client'
import { OfficerDb } from '../src/offline/db'
import { logInKeepingDevice } from '../src/offline/device'
import {
  discardOp,
  editOp,
  queueCall,
  queueEvidence,
  queueOpenCase,
  queueWrite,
  replay,
  retryOp,
} from '../src/offline/queue'

// A small fake gateway: enough of the real routes' behaviour (client ids, idempotency keys,
// problem answers) to drive the queue through its cases. The real one is driven by the
// browser test against the embedded stack.
interface Call {
  method: string
  path: string
  body?: any
  key?: string
}

class FakeGateway {
  calls: Call[] = []
  offline = false
  /** answer the next call to a path with this status (and drop the connection for 0) */
  failures: Record<string, { status: number; type: string }[]> = {}
  cases = new Map<string, string>() // client_case_id -> case_id
  entries = new Map<string, string>() // client_entry_id -> entry_id
  objects = new Map<string, number>() // slot id -> bytes stored
  loseAnswerOnce = new Set<string>()
  refreshOk = true
  tokenNo = 1

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (this.offline) throw new TypeError('Failed to fetch')
    const url = new URL(String(input), 'http://gw')
    const method = init?.method ?? 'GET'
    const headers = (init?.headers ?? {}) as Record<string, string>
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    this.calls.push({ method, path: url.pathname, body, key: headers['idempotency-key'] })
    const queued = this.failures[url.pathname]?.shift()
    if (queued) return problem(queued.status, queued.type)
    if (url.pathname === '/v1/auth/refresh') {
      if (!this.refreshOk) return problem(401, 'invalid-token')
      this.tokenNo += 1
      return json(200, { access_token: `a${this.tokenNo}`, refresh_token: `r${this.tokenNo}`, expires_in: 900 })
    }
    if (url.pathname === '/v1/auth/login') {
      this.tokenNo += 1
      return json(200, { access_token: `a${this.tokenNo}`, refresh_token: `r${this.tokenNo}`, expires_in: 900, device_cookie: `cookie-${this.tokenNo}` })
    }
    if (url.hostname === 's3') {
      this.objects.set(url.pathname, (init?.body as Blob).size)
      return new Response(null, { status: 200, headers: { etag: '"e1"' } })
    }
    if (headers.authorization !== `Bearer a${this.tokenNo}`) return problem(401, 'invalid-token')
    const answer = this.route(method, url.pathname, body)
    if (this.loseAnswerOnce.has(url.pathname)) {
      this.loseAnswerOnce.delete(url.pathname)
      throw new TypeError('connection reset') // stored, but the phone never heard back
    }
    return answer
  }

  route(method: string, path: string, body: any): Response {
    if (method === 'POST' && path === '/v1/cases') {
      const existing = this.cases.get(body.client_case_id)
      const caseId = existing ?? `c-${this.cases.size + 1}`
      this.cases.set(body.client_case_id, caseId)
      return json(existing ? 200 : 201, { case_id: caseId, client_case_id: body.client_case_id, stage: 'inspection' })
    }
    const slot = path.match(/^\/v1\/cases\/([^/]+)\/evidence-slots$/)
    if (slot) return json(201, { slot_id: `s-${body.client_slot_id}`, status: 'pending', put_url: `http://s3/s-${body.client_slot_id}`, parts: [], expires_at: null, entry: null })
    const confirm = path.match(/evidence-slots\/([^/]+)\/confirm$/)
    if (confirm) {
      if (!this.objects.has(`/${confirm[1]}`)) return problem(409, 'not-allowed-now')
      return json(201, { entry: { entry_id: `e-${confirm[1]}`, kind: 'evidence' } })
    }
    const write = path.match(/^\/v1\/cases\/([^/]+)\/(entries|transitions|penalty-proposals)$/)
    if (write) {
      const existing = this.entries.get(body.client_entry_id)
      const entryId = existing ?? `e-${this.entries.size + 1}`
      this.entries.set(body.client_entry_id, entryId)
      return json(existing ? 200 : 201, { entry: { entry_id: entryId } })
    }
    const ack = path.match(/^\/v1\/gas\/alarms\/([^/]+)\/acknowledge$/)
    if (ack) return json(200, { alarm_id: ack[1], acknowledged: true })
    return problem(404, 'not-found')
  }

  writes(): string[] {
    return this.calls
      .filter((c) => c.method !== 'GET' && !c.path.startsWith('/v1/auth'))
      .map((c) => `${c.method} ${c.path}`)
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

function problem(status: number, slug: string): Response {
  return json(status, { type: `https://enforcement.example/problems/${slug}`, title: slug, status, detail: `${slug} detail` })
}

class MemoryStore implements SessionStore {
  session: Session | null = { access_token: 'a1', refresh_token: 'r1', access_expires_at: Date.now() + 600_000 }
  load() {
    return this.session
  }
  save(s: Session | null) {
    this.session = s
  }
}

let db: OfficerDb
let gw: FakeGateway
let store: MemoryStore
let api: Api

beforeEach(async () => {
  db = new OfficerDb(`test-${crypto.randomUUID()}`)
  await db.open()
  gw = new FakeGateway()
  store = new MemoryStore()
  api = new Api(store, '', gw.fetch)
})

afterEach(async () => {
  await db.delete()
})

const photo = () => new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], { type: 'image/jpeg' })

async function caseWithNoteAndPhoto(clientCaseId = 'phone-case-1') {
  const ref = await queueOpenCase(db, { client_case_id: clientCaseId, title: '燃气检查' }, '新建案件')
  await queueWrite(db, ref, 'entries', { kind: 'note', payload: { text: '现场检查' } }, '记录')
  await queueEvidence(db, ref, photo(), 'ab'.repeat(32), { mediaType: 'image/jpeg', filename: 'a.jpg', confirm: { caption: '灶台' } }, '照片')
  await queueWrite(db, ref, 'penalty-proposals', { kinds: ['fine'], fine_yuan: 5000 }, '处罚建议')
  return ref
}

describe('the write queue', () => {
  it('keeps every write while offline and sends nothing twice once online', async () => {
    await caseWithNoteAndPhoto()
    gw.offline = true
    const offline = await replay(db, api)
    expect(offline.state).toBe('offline')
    expect(await db.ops.where('status').equals('pending').count()).toBe(4)
    expect(await db.files.count()).toBe(1)

    gw.offline = false
    const online = await replay(db, api)
    expect(online).toMatchObject({ state: 'done', sent: 4, failed: 0 })
    expect(await db.ops.where('status').equals('done').count()).toBe(4)
    expect(await db.files.count()).toBe(0) // the photo left the phone only after its confirmation
    expect(gw.cases.size).toBe(1)
    expect(gw.entries.size).toBe(2)
  })

  it('opens the case first, uploads files next, then writes the record in the order made', async () => {
    await caseWithNoteAndPhoto()
    await replay(db, api)
    expect(gw.writes()).toEqual([
      'POST /v1/cases',
      'POST /v1/cases/c-1/evidence-slots',
      'PUT /s-' + (await firstFileKey()),
      'POST /v1/cases/c-1/entries',
      `POST /v1/cases/c-1/evidence-slots/s-${await firstFileKey()}/confirm`,
      'POST /v1/cases/c-1/penalty-proposals',
    ])
  })

  it('sends a write again with the same ids when its answer was lost', async () => {
    const ref = await queueOpenCase(db, { client_case_id: 'phone-case-2' }, '新建案件')
    await queueWrite(db, ref, 'entries', { kind: 'note', payload: { text: 'x' } }, '记录')
    gw.loseAnswerOnce.add('/v1/cases/c-1/entries')
    expect((await replay(db, api)).state).toBe('offline')
    expect((await replay(db, api)).state).toBe('done')
    const notes = gw.calls.filter((c) => c.path.endsWith('/entries'))
    expect(notes).toHaveLength(2)
    expect(notes[0].body.client_entry_id).toBe(notes[1].body.client_entry_id)
    expect(notes[0].key).toBe(notes[1].key)
    expect(gw.entries.size).toBe(1)
  })

  it('shows a refusal with what to do and holds that case back, not the others', async () => {
    const a = await queueOpenCase(db, { client_case_id: 'phone-case-a' }, 'A')
    await queueWrite(db, a, 'transitions', { to: 'decision' }, '转到决定')
    await queueWrite(db, a, 'entries', { kind: 'note', payload: {} }, 'A 记录')
    const b = await queueOpenCase(db, { client_case_id: 'phone-case-b' }, 'B')
    await queueWrite(db, b, 'entries', { kind: 'note', payload: {} }, 'B 记录')
    gw.failures['/v1/cases/c-1/transitions'] = [{ status: 409, type: 'not-allowed-now' }]

    const outcome = await replay(db, api)
    expect(outcome).toMatchObject({ state: 'done', failed: 1 })
    const ops = await db.ops.toArray()
    const refused = ops.find((o) => o.label === '转到决定')!
    expect(refused.status).toBe('failed')
    expect(refused.error!.problem.status).toBe(409)
    expect(refused.error!.hint).toContain('下一步')
    expect(ops.find((o) => o.label === 'A 记录')!.status).toBe('pending') // held, not lost
    expect(ops.find((o) => o.label === 'B 记录')!.status).toBe('done')

    await discardOp(db, refused.id!)
    expect((await replay(db, api)).state).toBe('done')
    expect((await db.ops.toArray()).find((o) => o.label === 'A 记录')!.status).toBe('done')
  })

  it('retries a refused write when the officer asks', async () => {
    const ref = await queueOpenCase(db, { client_case_id: 'phone-case-r' }, 'R')
    const id = await queueWrite(db, ref, 'entries', { kind: 'note', payload: {} }, '记录')
    gw.failures['/v1/cases/c-1/entries'] = [{ status: 422, type: 'invalid-request' }]
    await replay(db, api)
    expect((await db.ops.get(id))!.status).toBe('failed')
    await retryOp(db, id)
    await replay(db, api)
    expect((await db.ops.get(id))!.status).toBe('done')
  })

  it('uploads a file again when the server found other bytes', async () => {
    const ref = await queueOpenCase(db, { client_case_id: 'phone-case-e' }, 'E')
    const id = await queueEvidence(db, ref, photo(), 'cd'.repeat(32), { mediaType: 'image/jpeg', filename: 'b.jpg', confirm: {} }, '照片')
    const key = (await db.ops.get(id))!.fileKey!
    gw.failures[`/v1/cases/c-1/evidence-slots/s-${key}/confirm`] = [{ status: 409, type: 'not-allowed-now' }]
    await replay(db, api)
    expect((await db.ops.get(id))!.status).toBe('pending')
    await replay(db, api)
    expect((await db.ops.get(id))!.status).toBe('done')
    expect(gw.calls.filter((c) => c.method === 'PUT')).toHaveLength(2)
  })

  it('treats a 5xx and a 429 as "try later", never as a refusal', async () => {
    const ref = await queueOpenCase(db, { client_case_id: 'phone-case-5' }, '5')
    gw.failures['/v1/cases'] = [{ status: 503, type: 'service-unavailable' }, { status: 429, type: 'rate-limited' }]
    expect((await replay(db, api)).state).toBe('offline')
    expect((await replay(db, api)).state).toBe('offline')
    expect((await replay(db, api)).state).toBe('done')
    expect(await db.caseIds.get('phone-case-5')).toBeTruthy()
    expect(ref).toBe('local:phone-case-5')
  })

  it('refreshes an expired token once and stops for a login when the refresh is refused', async () => {
    await queueOpenCase(db, { client_case_id: 'phone-case-t' }, 'T')
    store.session!.access_token = 'stale'
    expect((await replay(db, api)).state).toBe('done')
    expect(gw.calls.filter((c) => c.path === '/v1/auth/refresh')).toHaveLength(1)

    await queueOpenCase(db, { client_case_id: 'phone-case-u' }, 'U')
    store.session!.access_token = 'stale'
    gw.refreshOk = false
    expect((await replay(db, api)).state).toBe('login')
    expect(store.session).toBeNull()
    expect(await db.ops.where('status').equals('pending').count()).toBe(1)
  })
})

describe('writes outside a case, corrections and logins', () => {
  it('sends an alarm acknowledgement queued offline once online; a refusal holds back only that alarm', async () => {
    await queueCall(db, '/v1/gas/alarms/al-1/acknowledge', {}, '确认报警 1', 'gas-alarm:al-1')
    await queueCall(db, '/v1/gas/alarms/al-2/acknowledge', {}, '确认报警 2', 'gas-alarm:al-2')
    await queueWrite(db, 'c-9', 'entries', { kind: 'note', payload: { text: 'x' } }, '记录')
    gw.offline = true
    expect((await replay(db, api)).state).toBe('offline')
    gw.offline = false
    gw.failures['/v1/gas/alarms/al-1/acknowledge'] = [{ status: 422, type: 'invalid-request' }]
    expect(await replay(db, api)).toMatchObject({ state: 'done', sent: 2, failed: 1 })
    expect(gw.writes()).toEqual([
      'POST /v1/gas/alarms/al-1/acknowledge',
      'POST /v1/gas/alarms/al-2/acknowledge',
      'POST /v1/cases/c-9/entries',
    ])
    const ops = await db.ops.toArray()
    expect(ops.find((o) => o.label === '确认报警 2')!.result).toEqual({ alarm_id: 'al-2', acknowledged: true })
    expect(ops.find((o) => o.label === '确认报警 1')!.status).toBe('failed')
  })

  it('sends a corrected write again under a new key and entry id, with the correction', async () => {
    const ref = await queueOpenCase(db, { client_case_id: 'phone-case-c' }, 'C')
    const id = await queueWrite(db, ref, 'penalty-proposals', { kinds: ['fine'], fine_yuan: 5000, facts: '短' }, '处罚建议')
    const later = await queueWrite(db, ref, 'entries', { kind: 'note', payload: { text: '之后' } }, '之后的记录')
    gw.failures['/v1/cases/c-1/penalty-proposals'] = [{ status: 422, type: 'invalid-request' }]
    await replay(db, api)
    const refused = (await db.ops.get(id))!
    expect((await db.ops.get(later))!.status).toBe('pending') // held behind the refusal

    await editOp(db, id, { ...refused.body, fine_yuan: 8000 })
    const edited = (await db.ops.get(id))!
    expect(edited.status).toBe('pending')
    expect(edited.edits).toBe(1)
    expect(edited.idempotencyKey).not.toBe(refused.idempotencyKey)
    expect(edited.body.client_entry_id).not.toBe(refused.body.client_entry_id)
    expect(await replay(db, api)).toMatchObject({ state: 'done', failed: 0 })
    const sent = gw.calls.filter((c) => c.path.endsWith('/penalty-proposals'))
    expect(sent.map((c) => c.body.fine_yuan)).toEqual([5000, 8000])
    expect((await db.ops.get(later))!.status).toBe('done')
  })

  it('a corrected case keeps its client id, so the writes made after it still find it', async () => {
    const ref = await queueOpenCase(db, { client_case_id: 'phone-case-k', title: '错' }, 'K')
    await queueWrite(db, ref, 'entries', { kind: 'note', payload: {} }, 'K 记录')
    gw.failures['/v1/cases'] = [{ status: 422, type: 'invalid-request' }]
    await replay(db, api)
    const opening = (await db.ops.toArray()).find((o) => o.kind === 'open-case')!
    await editOp(db, opening.id!, { ...opening.body, title: '燃气检查' })
    expect(await replay(db, api)).toMatchObject({ state: 'done', failed: 0 })
    const cases = gw.calls.filter((c) => c.path === '/v1/cases')
    expect(cases[1].body).toMatchObject({ client_case_id: 'phone-case-k', title: '燃气检查' })
    expect(cases[1].key).toBe('case-phone-case-k-edit1')
    expect(gw.writes()).toContain('POST /v1/cases/c-1/entries')
  })

  it('a login sends the device cookie the last login of that account answered, and keeps the new one', async () => {
    store.session = null
    await logInKeepingDevice(api, db, 'officer1', 'pw')
    await logInKeepingDevice(api, db, 'Officer1 ', 'pw')
    await logInKeepingDevice(api, db, 'officer2', 'pw')
    const logins = gw.calls.filter((c) => c.path === '/v1/auth/login').map((c) => c.body)
    expect(logins[0].device_cookie).toBeUndefined()
    expect(logins[1]).toEqual({ username: 'Officer1', password: 'pw', device_cookie: 'cookie-2' })
    expect(logins[2].device_cookie).toBeUndefined() // another account: not this one's cookie
    expect(store.session!.access_token).toBe('a4')
    expect((await db.meta.get('device_cookie.officer1'))!.value).toBe('cookie-3')
  })
})

async function firstFileKey(): Promise<string> {
  const op = (await db.ops.toArray()).find((o) => o.kind === 'evidence')!
  return op.fileKey!
}
