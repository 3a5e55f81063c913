import { describe, expect, it } from 'vitest'
import { Api, ApiError, SessionExpired, type Session, type SessionStore } from '../src/api/client'
import { explain } from '../src/api/problems'

function memoryStore(): SessionStore & { value: Session | null } {
  return {
    value: null,
    load() {
      return this.value
    },
    save(s) {
      this.value = s
    },
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

/** A tiny gateway: one refresh token at a time, rotated on each use. */
function gateway() {
  const calls: string[] = []
  let refresh = 'r1'
  let access = 'a1'
  const fetcher = (async (url: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>
    calls.push(`${init.method} ${url}`)
    if (url === '/v1/auth/login') return json(200, { access_token: access, refresh_token: refresh, expires_in: 900, token_type: 'bearer' })
    if (url === '/v1/auth/refresh') {
      const sent = JSON.parse(String(init.body)).refresh_token
      if (sent !== refresh) return json(401, { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'refresh token reused' })
      refresh = `${refresh}x`
      access = `${access}x`
      return json(200, { access_token: access, refresh_token: refresh, expires_in: 900, token_type: 'bearer' })
    }
    if (headers.authorization !== `Bearer ${access}`) return json(401, { type: 'about:blank', title: 'Unauthorized', status: 401 })
    return json(200, { ok: true })
  }) as unknown as typeof fetch
  return { calls, fetcher, expireAccess: () => (access = `${access}-new`) }
}

describe('the API client', () => {
  it('refreshes once when the access token is refused, then retries', async () => {
    const g = gateway()
    const store = memoryStore()
    const api = new Api(store, '', g.fetcher)
    await api.login('reviewer', 'pw')
    g.expireAccess()
    // the gateway now wants a token issued after a refresh
    const answers = await Promise.all([api.request('GET', '/v1/reviews/mine'), api.request('GET', '/v1/auth/me')])
    expect(answers).toEqual([{ ok: true }, { ok: true }])
    expect(g.calls.filter((c) => c.includes('/refresh'))).toHaveLength(1)
    expect(store.value?.refresh_token).toBe('r1x')
  })

  it('refreshes before sending when the access token is about to expire', async () => {
    const g = gateway()
    let now = 0
    const api = new Api(memoryStore(), '', g.fetcher, () => now)
    await api.login('reviewer', 'pw')
    now = 900_000 // past expires_in minus the minute of margin
    await api.request('GET', '/v1/reviews/mine')
    expect(g.calls).toEqual(['POST /v1/auth/login', 'POST /v1/auth/refresh', 'GET /v1/reviews/mine'])
  })

  it('ends the session when the refresh is refused', async () => {
    const g = gateway()
    const store = memoryStore()
    const api = new Api(store, '', g.fetcher)
    await api.login('reviewer', 'pw')
    store.value = { ...store.value!, refresh_token: 'stolen' }
    g.expireAccess()
    await expect(api.request('GET', '/v1/reviews/mine')).rejects.toBeInstanceOf(SessionExpired)
    expect(store.value).toBeNull()
  })

  it('says a problem+json answer in words', () => {
    const err = new ApiError({
      type: 'about:blank', title: 'Invalid request', status: 422, detail: 'bad',
      errors: [{ loc: ['body', 'opinion'], msg: 'String should have at least 1 character' }],
    })
    expect(explain(err)).toBe('填写内容不符合要求：bad；opinion：String should have at least 1 character')
    expect(explain(new SessionExpired('x'))).toBe('登录已失效，请重新登录')
  })
})
