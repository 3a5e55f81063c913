// Who is logged in, for the shell's menu and the router's guard.
import { ref } from 'vue'
import { api, auth } from './api'
import type { Me } from './api/types'

export const me = ref<Me | null>(null)

/** The signed-in user, asked once per page load; null when nobody is logged in. */
export async function currentUser(): Promise<Me | null> {
  if (me.value) return me.value
  if (!api.loggedIn) return null
  try {
    me.value = await auth.me()
  } catch {
    auth.logout()
    me.value = null
  }
  return me.value
}

export async function signIn(username: string, password: string): Promise<Me> {
  await auth.login(username, password)
  me.value = await auth.me()
  return me.value
}

export function signOut(): void {
  auth.logout()
  me.value = null
}
