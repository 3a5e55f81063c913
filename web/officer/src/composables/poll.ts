import { onUnmounted, watch, type Ref } from 'vue'

/** Call `tick` every `everyMs` while `active` holds and the page is shown; stops on unmount. */
export function usePoll(tick: () => Promise<void>, everyMs: number, active: Ref<boolean>): void {
  let timer: ReturnType<typeof setInterval> | undefined
  const stop = () => {
    clearInterval(timer)
    timer = undefined
  }
  const run = () => {
    if (document.visibilityState === 'visible') void tick().catch(() => undefined)
  }
  watch(
    active,
    (on) => {
      stop()
      if (on) {
        run()
        timer = setInterval(run, everyMs)
      }
    },
    { immediate: true },
  )
  onUnmounted(stop)
}
