import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { defineConfig } from 'vite'
import pkg from './package.json' with { type: 'json' }

// Served by the gateway at /console/; the API is on the same origin.
export default defineConfig({
  base: '/console/',
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  plugins: [
    vue(),
    // Only the Element Plus components a screen uses (and their CSS) end up in the bundle.
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  build: {
    target: 'es2020',
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      output: {
        // ECharts is large and only the supervisor's dashboard needs it: its own chunk.
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          return undefined
        },
      },
    },
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8000' } },
})
