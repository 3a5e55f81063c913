import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import { createApp } from 'vue'
import { registerSW } from 'virtual:pwa-register'
import App from './App.vue'
import { startSyncLoop } from './app'
import { router } from './router'

createApp(App).use(router).mount('#app')
registerSW({ immediate: true })
startSyncLoop()
