// The console's session and the shared gateway client (web/shared/api-client.ts).
import { sessionStorageStore } from '../../../shared/api-client'

export * from '../../../shared/api-client'

export const browserSessionStore = sessionStorageStore('console.session')
