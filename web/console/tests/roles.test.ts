import { describe, expect, it } from 'vitest'
import { homeFor, mayOpen, menuFor } from '../src/api/roles'

describe('role menus', () => {
  it('shows each role only its own screens', () => {
    expect(menuFor(['legal_reviewer']).map((m) => m.path)).toEqual(['/reviews'])
    expect(menuFor(['supervisor']).map((m) => m.path)).toEqual(['/dashboard', '/hazards', '/hazard-sources'])
    expect(menuFor(['admin']).map((m) => m.path)).toEqual([
      '/dashboard', '/hazard-sources', '/users', '/devices', '/registers', '/calendar', '/audit',
    ])
    expect(menuFor(['venue_owner']).map((m) => m.path)).toEqual(['/venue'])
    expect(menuFor(['officer']).map((m) => m.path)).toEqual(['/hazard-sources'])
  })
  it('joins the menus of several roles without repeats', () => {
    expect(menuFor(['supervisor', 'legal_reviewer', 'admin']).map((m) => m.path)).toEqual([
      '/reviews', '/dashboard', '/hazards', '/hazard-sources', '/users', '/devices', '/registers', '/calendar', '/audit',
    ])
  })
  it('guards deep links', () => {
    expect(mayOpen(['legal_reviewer'], '/reviews/abc')).toBe(true)
    expect(mayOpen(['legal_reviewer'], '/users')).toBe(false)
    expect(mayOpen(['venue_owner'], '/dashboard/cases')).toBe(false)
    expect(mayOpen(['supervisor'], '/dashboard/cases')).toBe(true)
    expect(mayOpen(['supervisor'], '/dashboard/deadlines')).toBe(true)
    expect(mayOpen(['supervisor'], '/audit')).toBe(false)
    expect(mayOpen(['supervisor'], '/registers')).toBe(false)
    expect(mayOpen(['supervisor'], '/reviewsX')).toBe(true) // not a menu path: the router redirects
    expect(mayOpen(['officer'], '/hazard-sources/cl-tank-01')).toBe(true)
    expect(mayOpen(['legal_reviewer'], '/hazard-sources/cl-tank-01')).toBe(false)
    expect(mayOpen(['venue_owner'], '/hazard-sources')).toBe(false)
  })
  it('lands each role on its first screen', () => {
    expect(homeFor(['venue_owner'])).toBe('/venue')
    expect(homeFor(['officer'])).toBe('/hazard-sources')
    expect(homeFor([])).toBe('/no-access')
  })
})
