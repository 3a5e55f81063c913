// The device cookie a login answers (gateway/security: failed logins from strangers elsewhere
// never lock out a device that logged in before). It stays in IndexedDB per account, across
// logouts and locks, and goes with that account's next login from this phone.
import type { Api } from '../api/client'
import { getMeta, setMeta, type OfficerDb } from './db'

const key = (username: string) => `device_cookie.${username.trim().toLowerCase()}`

export async function logInKeepingDevice(api: Api, db: OfficerDb, username: string, password: string) {
  const cookie = await getMeta<string | null>(db, key(username), null)
  const answer = await api.loginOnDevice(username.trim(), password, cookie)
  if (answer.device_cookie) await setMeta(db, key(username), answer.device_cookie)
}
