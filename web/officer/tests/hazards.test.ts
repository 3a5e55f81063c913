import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Api, type Session, type SessionStore } from '../src/api/client'
import { counts, deadlineText, filterHazards, matches, sortHazards, type Hazard } from '../src/hazards/model'
import { assignSlots, queueHazard } from '../src/hazards/queue'
import { OfficerDb } from '../src/offline/db'
import { discardOp, replay } from '../src/offline/queue'

function hazard(over: Partial<Hazard>): Hazard {
  return {
    hazard_id: 'h',
    hazard_no: '新北应急隐患〔2026〕1号',
    town: '罗溪镇',
    sector: 'industry-trade',
    sector_name: '工贸',
    kind: '粉尘涉爆',
    credit_code: '91320411MA1XXXXX0X',
    enterprise_name: '甲公司',
    location: '车间',
    description: '',
    source: 'inspection',
    status: 'rectifying',
    grade: 'general',
    grade_name: '一般',
    grading: null,
    responsibility: { enterprise: '甲公司', department: '应急管理局', town: '罗溪镇' },
    rectification_order: null,
    order_due: '2026-12-10',
    working_days_left: 5,
    supervision: null,
    supervision_due: null,
    registered_at: '2026-12-01T08:00:00+00:00',
    closed_on: null,
    overdue: false,
    step_due: null,
    supervision_overdue: false,
    ...over,
  }
}

describe('the hazard list', () => {
  const list = [
    hazard({ hazard_id: 'far', working_days_left: 12 }),
    hazard({ hazard_id: 'closed', status: 'closed', working_days_left: null, registered_at: '2026-12-02T00:00:00+00:00' }),
    hazard({ hazard_id: 'late-1', overdue: true, working_days_left: -1 }),
    hazard({ hazard_id: 'new', status: 'registered', order_due: null, working_days_left: null }),
    hazard({ hazard_id: 'near', working_days_left: 1, grade: 'major' }),
    hazard({ hazard_id: 'late-4', overdue: true, working_days_left: -4 }),
    hazard({ hazard_id: 'report', status: 'reported', working_days_left: 3 }),
    hazard({ hazard_id: 'supervised', status: 'awaiting-review', grade: 'major', supervision_overdue: true, working_days_left: 2 }),
  ]

  it('puts overdue first (longest past first), then the nearest deadline, closed last', () => {
    expect(sortHazards(list).map((h) => h.hazard_id)).toEqual([
      'late-4',
      'late-1',
      'supervised',
      'near',
      'report',
      'far',
      'new',
      'closed',
    ])
  })

  it('filters 待整改, 待复查, 逾期 and 重大 as the chips say', () => {
    const ids = (f: Parameters<typeof matches>[1]) => filterHazards(list, f).map((h) => h.hazard_id).sort()
    expect(ids('rectify')).toEqual(['far', 'late-1', 'late-4', 'near', 'new'])
    expect(ids('reinspect')).toEqual(['report'])
    expect(ids('overdue')).toEqual(['late-1', 'late-4', 'supervised'])
    expect(ids('major')).toEqual(['near', 'supervised'])
    expect(ids('all')).toHaveLength(list.length)
    expect(counts(list)).toEqual({ all: 8, rectify: 5, reinspect: 1, overdue: 3, major: 2 })
  })

  it('searches enterprise, number, kind and credit code', () => {
    const mixed = [hazard({ hazard_id: 'a', enterprise_name: '乙化工' }), hazard({ hazard_id: 'b', credit_code: '91320411MA1ABCDE1X' })]
    expect(filterHazards(mixed, 'all', '乙化').map((h) => h.hazard_id)).toEqual(['a'])
    expect(filterHazards(mixed, 'all', 'ma1abcde').map((h) => h.hazard_id)).toEqual(['b'])
  })

  it('says the deadline in working days', () => {
    expect(deadlineText(hazard({ working_days_left: 5 }))).toBe('剩 5 个工作日（2026-12-10）')
    expect(deadlineText(hazard({ working_days_left: 0 }))).toBe('今日到期（2026-12-10）')
    expect(deadlineText(hazard({ overdue: true, working_days_left: -3 }))).toBe('逾期 3 个工作日（期限 2026-12-10）')
    // past due over a weekend: no working day lost yet, still overdue
    expect(deadlineText(hazard({ overdue: true, working_days_left: 0 }))).toBe('已逾期（期限 2026-12-10）')
    expect(deadlineText(hazard({ status: 'registered', order_due: null, working_days_left: null }))).toBe('未下达整改')
    expect(deadlineText(hazard({ status: 'closed' }))).toBe('已销号')
  })
})

// -- the queue ---------------------------------------------------------------------------------

interface Call {
  method: string
  url: string
  body?: any
  key?: string
}

/** Enough of the gateway's hazard routes and of presigned PUTs to drive the queue. */
class FakeGateway {
  calls: Call[] = []
  offline = false
  hazards = new Map<string, { id: string; photos: { photo_id: string; sha256: string }[] }>()
  answers = new Map<string, string>() // idempotency key -> answer (the gateway's replay)
  objects = new Map<string, number>()
  expired = new Set<string>() // PUT URLs the store refuses with 403
  dropPutOnce = false
  refuse: { status: number; slug: string } | null = null

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (this.offline) throw new TypeError('Failed to fetch')
    const url = new URL(String(input), 'http://gw')
    const method = init?.method ?? 'GET'
    const headers = (init?.headers ?? {}) as Record<string, string>
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    this.calls.push({ method, url: url.hostname === 's3' ? `s3${url.pathname}${url.search}` : url.pathname, body, key: headers['idempotency-key'] })
    if (url.hostname === 's3') {
      if (this.dropPutOnce) {
        this.dropPutOnce = false
        throw new TypeError('connection reset')
      }
      if (this.expired.has(url.pathname + url.search)) return new Response('expired', { status: 403 })
      this.objects.set(url.pathname, (init?.body as Blob).size)
      return new Response(null, { status: 200, headers: { etag: '"e"' } })
    }
    const key = headers['idempotency-key']
    if (key && this.answers.has(key)) return json(200, JSON.parse(this.answers.get(key)!))
    if (this.refuse) return problem(this.refuse.status, this.refuse.slug)
    const answer = this.route(method, url.pathname, body)
    if (key && answer.status < 500) this.answers.set(key, JSON.stringify(answer.body))
    return json(answer.status, answer.body)
  }

  route(method: string, path: string, body: any): { status: number; body: any } {
    const slots = (hazardId: string, photos: any[] = []) =>
      photos.map((p: any, i: number) => {
        const photo_id = `${hazardId}-p${this.hazards.get(hazardId)!.photos.length + i}`
        return { photo_id, sha256: p.sha256, object_key: photo_id, put_url: `http://s3/${photo_id}?v=1` }
      })
    if (method === 'POST' && path === '/v1/hazards') {
      const id = `hz-${body.client_id}`
      if (!this.hazards.has(id)) this.hazards.set(id, { id, photos: [] })
      const out = slots(id, body.photos)
      this.hazards.get(id)!.photos.push(...out)
      return { status: 201, body: { hazard: { hazard_id: id }, linked: false, repeated: false, photo_uploads: out } }
    }
    const renew = path.match(/^\/v1\/hazards\/([^/]+)\/photo-uploads$/)
    if (renew) {
      const h = this.hazards.get(renew[1])!
      return {
        status: 200,
        body: { photo_uploads: h.photos.filter((p) => body.photo_ids.includes(p.photo_id)).map((p) => ({ ...p, put_url: `http://s3/${p.photo_id}?v=2` })) },
      }
    }
    const act = path.match(/^\/v1\/hazards\/([^/]+)\/(reinspection|order|rectification)$/)
    if (act) {
      const h = this.hazards.get(act[1]) ?? { id: act[1], photos: [] }
      this.hazards.set(act[1], h)
      const out = slots(act[1], body.photos)
      h.photos.push(...out)
      return { status: 200, body: { hazard_id: act[1], status: 'closed', photo_uploads: out } }
    }
    return { status: 404, body: { type: 'x/not-found', title: 'not found', status: 404 } }
  }

  posts(): string[] {
    return this.calls.filter((c) => c.method === 'POST').map((c) => c.url)
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
let api: Api

beforeEach(async () => {
  db = new OfficerDb(`test-${crypto.randomUUID()}`)
  await db.open()
  gw = new FakeGateway()
  api = new Api(new MemoryStore(), '', gw.fetch)
})

afterEach(async () => {
  await db.delete()
})

const jpeg = (n: number) => ({ blob: new Blob([new Uint8Array([0xff, 0xd8, n, n])], { type: 'image/jpeg' }), sha256: String(n).repeat(64).slice(0, 64), mediaType: 'image/jpeg' })

async function register(clientId = 'c1', photos = [jpeg(1), jpeg(2)]) {
  return queueHazard(
    db,
    {
      path: '/v1/hazards',
      body: { client_id: clientId, enterprise_name: '甲公司', kind: '粉尘涉爆', sector: 'industry-trade' },
      label: '登记隐患',
      ref: clientId,
      idempotencyKey: `hazard-register-${clientId}`,
    },
    photos,
  )
}

describe('hazard writes on the queue', () => {
  it('keeps a registration and its photos offline, then registers once and uploads each photo', async () => {
    const id = await register()
    const op = await db.ops.get(id)
    expect(op).toMatchObject({ kind: 'hazard', caseRef: 'hazard:c1', status: 'pending' })
    expect(op!.body.photos).toEqual([
      { sha256: jpeg(1).sha256, size: 4, media_type: 'image/jpeg' },
      { sha256: jpeg(2).sha256, size: 4, media_type: 'image/jpeg' },
    ])
    expect(await db.files.count()).toBe(2)

    gw.offline = true
    expect((await replay(db, api)).state).toBe('offline')
    expect((await db.ops.get(id))!.status).toBe('pending')
    expect(await db.files.count()).toBe(2)

    gw.offline = false
    expect(await replay(db, api)).toMatchObject({ state: 'done', sent: 1, failed: 0 })
    expect(gw.posts()).toEqual(['/v1/hazards'])
    expect([...gw.objects.keys()].sort()).toEqual(['/hz-c1-p0', '/hz-c1-p1'])
    const done = await db.ops.get(id)
    expect(done).toMatchObject({ status: 'done', hazardId: 'hz-c1' })
    expect(done!.photos!.every((p) => p.uploaded)).toBe(true)
    expect(await db.files.count()).toBe(0) // the phone frees the photos once stored
  })

  it('does not register twice when the upload breaks after the registration', async () => {
    const id = await register()
    gw.dropPutOnce = true
    expect((await replay(db, api)).state).toBe('offline')
    const half = await db.ops.get(id)
    expect(half).toMatchObject({ status: 'pending', stage: 'upload', hazardId: 'hz-c1' })
    expect(await db.files.count()).toBe(2)

    expect((await replay(db, api)).state).toBe('done')
    expect(gw.posts()).toEqual(['/v1/hazards']) // the answer was kept: no second POST
    expect(gw.objects.size).toBe(2)
  })

  it('asks for fresh upload URLs when the first ones expired', async () => {
    const id = await register('c2', [jpeg(3)])
    gw.offline = true
    await replay(db, api)
    gw.offline = false
    gw.expired.add('/hz-c2-p0?v=1')
    expect((await replay(db, api)).state).toBe('done')
    expect(gw.posts()).toEqual(['/v1/hazards', '/v1/hazards/hz-c2/photo-uploads'])
    expect(gw.calls.find((c) => c.url.endsWith('photo-uploads'))!.body).toEqual({ photo_ids: ['hz-c2-p0'] })
    expect(gw.objects.has('/hz-c2-p0')).toBe(true)
    expect((await db.ops.get(id))!.status).toBe('done')
  })

  it('sends a re-inspection with findings and photos after the registration, in order', async () => {
    await register('c3', [])
    const id = await queueHazard(
      db,
      { path: '/v1/hazards/hz-c3/reinspection', body: { passed: false, opinion: '除尘器未清理' }, label: '复查不合格', ref: 'hz-c3' },
      [jpeg(4)],
    )
    expect(await replay(db, api)).toMatchObject({ state: 'done', sent: 2 })
    expect(gw.posts()).toEqual(['/v1/hazards', '/v1/hazards/hz-c3/reinspection'])
    expect(gw.calls[1].body).toEqual({
      passed: false,
      opinion: '除尘器未清理',
      photos: [{ sha256: jpeg(4).sha256, size: 4, media_type: 'image/jpeg' }],
    })
    expect(gw.objects.has('/hz-c3-p0')).toBe(true)
    expect((await db.ops.get(id))!.status).toBe('done')
  })

  it('holds a refused write with its photos for the officer, who may give it up', async () => {
    const id = await register('c4', [jpeg(5)])
    gw.refuse = { status: 422, slug: 'validation-error' }
    expect(await replay(db, api)).toMatchObject({ state: 'done', sent: 0, failed: 1 })
    const op = await db.ops.get(id)
    expect(op!.status).toBe('failed')
    expect(op!.error!.hint).toContain('修改后重发')
    expect(await db.files.count()).toBe(1) // kept until the officer decides
    await discardOp(db, id)
    expect(await db.files.count()).toBe(0)
  })

  it('pairs upload slots with photos by SHA-256, equal photos each taking one', () => {
    const a = { fileKey: 'f1', sha256: 'a', size: 1, mediaType: 'image/jpeg' }
    const b = { fileKey: 'f2', sha256: 'b', size: 1, mediaType: 'image/jpeg' }
    const a2 = { ...a, fileKey: 'f3' }
    const out = assignSlots([a, b, a2], [
      { photo_id: 'p-b', sha256: 'b', put_url: 'u-b' },
      { photo_id: 'p-a1', sha256: 'a', put_url: 'u-a1' },
      { photo_id: 'p-a2', sha256: 'a', put_url: 'u-a2' },
    ])
    expect(out.map((p) => p.photoId)).toEqual(['p-a1', 'p-b', 'p-a2'])
  })
})
