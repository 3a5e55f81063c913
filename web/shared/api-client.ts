// The one way the web apps talk to the gateway: tokens, refresh rotation, problem+json.
// Shared by the officers' app and the desk console (each keeps its own session key).

/** An RFC 9457 problem answer, as the gateway sends it. */
export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  errors?: { loc: (string | number)[]; msg: string }[]
  request_id?: string
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  expires_in: number
}

/** The gateway answered with a problem (4xx or 5xx). */
export class ApiError extends Error {
  constructor(public readonly problem: Problem) {
    super(problem.detail || problem.title)
  }
  get status(): number {
    return this.problem.status
  }
  /** A retry later may succeed: the server or the network, never the request itself. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429 || this.isInFlight
  }
  /** 409 while the first request with the same Idempotency-Key still runs. */
  get isInFlight(): boolean {
    return this.status === 409 && this.problem.type.endsWith('/idempotency-key-in-flight')
  }
}

/** No answer at all: offline, DNS, reset connection. */
export class NetworkError extends Error {}

/** The session ended (refresh refused): the user must log in again. */
export class SessionExpired extends Error {}

export interface Session {
  access_token: string
  refresh_token: string
  /** epoch ms after which the access token is no longer sent */
  access_expires_at: number
}

export interface SessionStore {
  load(): Session | null
  save(session: Session | null): void
}

/** Tokens live in sessionStorage: a reload keeps them, closing the app or a lock wipes them. */
export function sessionStorageStore(key: string): SessionStore {
  return {
    load() {
      const raw = sessionStorage.getItem(key)
      return raw ? (JSON.parse(raw) as Session) : null
    },
    save(session) {
      if (session) sessionStorage.setItem(key, JSON.stringify(session))
      else sessionStorage.removeItem(key)
    },
  }
}

export interface RequestOptions {
  body?: unknown
  idempotencyKey?: string
  query?: Record<string, string | number | boolean | undefined>
  /** no Authorization header (login, refresh) */
  anonymous?: boolean
}

export class Api {
  private refreshing: Promise<void> | null = null

  constructor(
    private readonly store: SessionStore,
    private readonly base = '',
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
    private readonly now: () => number = Date.now,
  ) {}

  get loggedIn(): boolean {
    return this.store.load() !== null
  }

  async login(username: string, password: string): Promise<void> {
    const pair = await this.request<TokenPair>('POST', '/v1/auth/login', {
      body: { username, password },
      anonymous: true,
    })
    this.keep(pair)
  }

  logout(): void {
    this.store.save(null)
  }

  private keep(pair: TokenPair): void {
    // A minute of margin: a token that expires in flight is refreshed before, not after.
    const ttl = Math.max(0, (pair.expires_in - 60) * 1000)
    this.store.save({
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      access_expires_at: this.now() + ttl,
    })
  }

  /** One refresh at a time: a refresh token works once, so two racing would end the session. */
  private refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const session = this.store.load()
        if (!session) throw new SessionExpired('not logged in')
        try {
          const pair = await this.request<TokenPair>('POST', '/v1/auth/refresh', {
            body: { refresh_token: session.refresh_token },
            anonymous: true,
          })
          this.keep(pair)
        } catch (err) {
          if (err instanceof ApiError && err.status < 500) {
            this.store.save(null)
            throw new SessionExpired(err.problem.detail || err.problem.title)
          }
          throw err
        }
      })().finally(() => {
        this.refreshing = null
      })
    }
    return this.refreshing
  }

  private async token(): Promise<string> {
    let session = this.store.load()
    if (!session) throw new SessionExpired('not logged in')
    if (this.now() >= session.access_expires_at) {
      await this.refresh()
      session = this.store.load()
      if (!session) throw new SessionExpired('not logged in')
    }
    return session.access_token
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const send = async (): Promise<Response> => {
      const headers: Record<string, string> = { accept: 'application/json' }
      if (options.body !== undefined) headers['content-type'] = 'application/json'
      if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey
      if (!options.anonymous) headers.authorization = `Bearer ${await this.token()}`
      const query = Object.entries(options.query ?? {})
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&')
      try {
        return await this.fetcher(`${this.base}${path}${query ? `?${query}` : ''}`, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
        })
      } catch (err) {
        throw new NetworkError(String(err))
      }
    }
    let response = await send()
    if (response.status === 401 && !options.anonymous) {
      await this.refresh()
      response = await send()
    }
    if (!response.ok) throw new ApiError(await problemOf(response))
    if (response.status === 204) return undefined as T
    return (await response.json()) as T
  }

  /** The current access token, refreshed first when due (for a streamed request). */
  async bearer(): Promise<string> {
    return this.token()
  }

  /** PUT bytes to a presigned object-storage URL (no Authorization header). */
  async putObject(url: string, body: Blob, contentType?: string): Promise<string> {
    let response: Response
    try {
      response = await this.fetcher(url, {
        method: 'PUT',
        body,
        headers: contentType ? { 'content-type': contentType } : {},
      })
    } catch (err) {
      throw new NetworkError(String(err))
    }
    if (!response.ok) {
      throw new ApiError({
        type: 'about:blank#object-storage',
        title: '上传失败',
        status: response.status,
        detail: `对象存储返回 ${response.status}`,
      })
    }
    return response.headers.get('etag') ?? ''
  }
}

export async function problemOf(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Partial<Problem>
    return {
      type: body.type ?? 'about:blank',
      title: body.title ?? response.statusText,
      status: body.status ?? response.status,
      detail: body.detail,
      errors: body.errors,
      request_id: body.request_id,
    }
  } catch {
    return { type: 'about:blank', title: response.statusText, status: response.status }
  }
}

// -- Logins that keep the device cookie, and live streams (appended for the officer app) ------

export interface DeviceLogin {
  /** the cookie a login on this device answered: sent with the account's next login */
  device_cookie: string | null
}

// Merged into the class above (declaration merging), so the class itself stays as it was.
export interface Api {
  /**
   * Log in, sending the device cookie an earlier login of this account here answered
   * (failed logins from strangers elsewhere then never lock this device out); returns the
   * cookie to keep for the next login.
   */
  loginOnDevice(username: string, password: string, deviceCookie: string | null): Promise<DeviceLogin>
}

Api.prototype.loginOnDevice = async function (
  this: Api,
  username: string,
  password: string,
  deviceCookie: string | null,
): Promise<DeviceLogin> {
  const pair = await this.request<TokenPair & { device_cookie?: string | null }>('POST', '/v1/auth/login', {
    body: { username, password, ...(deviceCookie ? { device_cookie: deviceCookie } : {}) },
    anonymous: true,
  })
  this['keep'](pair) // the class's own token keeping (TypeScript allows this access by name)
  return { device_cookie: pair.device_cookie ?? null }
}

/** One Server-Sent Event. */
export interface StreamEvent {
  event: string
  data: string
  id?: string
}

/** Splits a growing text buffer into complete events; returns them and the unfinished rest. */
export function parseEventStream(buffer: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = []
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n')
  const rest = blocks.pop() ?? ''
  for (const block of blocks) {
    let event = 'message'
    let id: string | undefined
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') event = value
      else if (field === 'data') data.push(value)
      else if (field === 'id') id = value
    }
    if (data.length) events.push({ event, data: data.join('\n'), id })
  }
  return { events, rest }
}

/**
 * Follow a gateway stream (SSE over fetch: EventSource cannot send the Authorization header)
 * until `signal` aborts, reconnecting after the server's end or a dropped connection.
 * `onState` hears 'live' once connected and 'down' while it waits to reconnect.
 */
export async function followEventStream(
  api: Api,
  url: string,
  onEvent: (e: StreamEvent) => void,
  signal: AbortSignal,
  onState: (state: 'live' | 'down') => void = () => undefined,
  retryMs = 3000,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const token = await api.bearer()
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal,
      })
      if (!response.ok || !response.body) throw new Error(`stream ${response.status}`)
      onState('live')
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        const parsed = parseEventStream(buffer + value)
        buffer = parsed.rest
        parsed.events.forEach(onEvent)
      }
    } catch {
      if (signal.aborted) return
    }
    onState('down')
    await new Promise((r) => setTimeout(r, retryMs))
  }
}
