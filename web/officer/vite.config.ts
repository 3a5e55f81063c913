import { VantResolver } from '@vant/auto-import-resolver'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import pkg from './package.json' with { type: 'json' }

// Served by the gateway at /app/; the API is on the same origin.
export default defineConfig({
  base: '/app/',
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  plugins: [
    vue(),
    // Only the Vant components a screen uses end up in the bundle (budget: 250 KB gzipped).
    Components({ resolvers: [VantResolver()], dts: false }),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false,
      includeAssets: ['icon.svg'],
      manifest: {
        name: '执法通 · 现场执法',
        short_name: '执法通',
        description: '安全生产现场执法：任务、案件、全过程记录，离线可用',
        lang: 'zh-CN',
        start_url: '/app/',
        scope: '/app/',
        display: 'standalone',
        background_color: '#f7f8fa',
        theme_color: '#1989fa',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any maskable' },
        ],
      },
      workbox: {
        // The app shell works offline; the API is never cached by the service worker (the
        // app keeps its own copy in IndexedDB, per user).
        clientsClaim: true,
        skipWaiting: true,
        navigateFallback: '/app/index.html',
        navigateFallbackAllowlist: [/^\/app\//],
        globPatterns: ['**/*.{js,css,html,svg,png,woff2}'],
      },
    }),
  ],
  build: { target: 'es2020', chunkSizeWarningLimit: 400 },
  server: { proxy: { '/v1': 'http://127.0.0.1:8000' } },
})
