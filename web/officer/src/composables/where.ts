import type { GeoPoint } from '../api/types'

export interface Fix {
  location?: GeoPoint
  /** why there is no position, in words, kept with the entry */
  missing?: string
}

/** The phone's position now, or why there is none (never blocks a write for long). */
export function currentFix(timeoutMs = 8000): Promise<Fix> {
  if (!('geolocation' in navigator)) return Promise.resolve({ missing: '设备不支持定位' })
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) =>
        resolve({
          location: {
            latitude: p.coords.latitude,
            longitude: p.coords.longitude,
            accuracy_m: Math.round(p.coords.accuracy * 10) / 10,
          },
        }),
      (err) =>
        resolve({
          missing:
            err.code === err.PERMISSION_DENIED
              ? '未授权定位'
              : err.code === err.TIMEOUT
                ? '定位超时'
                : '无法定位',
        }),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 },
    )
  })
}

/** The phone's clock as ISO 8601 with its offset, as the API asks for device_time. */
export function deviceTime(d = new Date()): string {
  const offset = -d.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0')
  const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, 19)
  return `${local}${sign}${pad(offset / 60)}:${pad(offset % 60)}`
}
