import { describe, expect, it } from 'vitest'
import { verifyInclusion } from '../src/merkle'

const enc = new TextEncoder()

async function h(...parts: Uint8Array[]): Promise<Uint8Array> {
  const size = parts.reduce((n, p) => n + p.length, 0)
  const all = new Uint8Array(size)
  let o = 0
  for (const p of parts) {
    all.set(p, o)
    o += p.length
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all))
}
const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const leaf = (s: string) => h(new Uint8Array([0]), enc.encode(s))
const node = (l: Uint8Array, r: Uint8Array) => h(new Uint8Array([1]), l, r)

describe('RFC 6962 inclusion proofs', () => {
  it('proves each leaf of a tree of three and refuses a wrong index or root', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(leaf))
    const ab = await node(a, b)
    const root = await node(ab, c)
    expect(await verifyInclusion(hexOf(a), 0, 3, [hexOf(b), hexOf(c)], hexOf(root))).toBe(true)
    expect(await verifyInclusion(hexOf(b), 1, 3, [hexOf(a), hexOf(c)], hexOf(root))).toBe(true)
    expect(await verifyInclusion(hexOf(c), 2, 3, [hexOf(ab)], hexOf(root))).toBe(true)
    expect(await verifyInclusion(hexOf(c), 1, 3, [hexOf(ab)], hexOf(root))).toBe(false)
    expect(await verifyInclusion(hexOf(a), 0, 3, [hexOf(b), hexOf(c)], hexOf(ab))).toBe(false)
  })
})
