// Is the window phone-narrow (768 px or less)? One media query the shell and screens share.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

const QUERY = '(max-width: 768px)'

export function useNarrow(): Ref<boolean> {
  const query = window.matchMedia(QUERY)
  const narrow = ref(query.matches)
  const onChange = (e: MediaQueryListEvent) => (narrow.value = e.matches)
  onMounted(() => query.addEventListener('change', onChange))
  onBeforeUnmount(() => query.removeEventListener('change', onChange))
  return narrow
}
