import { liveQuery } from 'dexie'
import { onUnmounted, ref, type Ref } from 'vue'

/** A Dexie query as a Vue ref that follows the store as it changes. */
export function useLive<T>(query: () => Promise<T>, initial: T): Ref<T> {
  const value = ref(initial) as Ref<T>
  const subscription = liveQuery(query).subscribe({
    next: (v) => {
      value.value = v
    },
    error: (err) => console.error(err),
  })
  onUnmounted(() => subscription.unsubscribe())
  return value
}
