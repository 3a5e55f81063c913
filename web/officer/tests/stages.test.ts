import { describe, expect, it } from 'vitest'
import { movesFrom, stageAfter, type LifecycleStage } from '../src/stages'

// As the server publishes it (GET /v1/lifecycle); a part of the real table.
const lifecycle: LifecycleStage[] = [
  { stage: 'inspection', next: ['filing', 'no_penalty', 'withdrawn'], via: 'POST /v1/cases' },
  { stage: 'filing', next: ['investigation', 'withdrawn'], via: 'POST /v1/cases/{id}/transitions' },
  { stage: 'investigation', next: ['review', 'no_penalty', 'withdrawn'], via: 'POST /v1/cases/{id}/transitions' },
  { stage: 'review', next: ['notice'], via: 'POST /v1/cases/{id}/penalty-proposals' },
  { stage: 'no_penalty', next: ['archived'], via: 'POST /v1/cases/{id}/transitions' },
  { stage: 'withdrawn', next: ['archived'], via: 'POST /v1/cases/{id}/transitions' },
]

describe('stage moves offline', () => {
  it('follows the queued writes of a case opened on the phone', () => {
    const queued = [
      { kind: 'open-case', body: {} },
      { kind: 'write', path: 'entries', body: { kind: 'note' } },
      { kind: 'write', path: 'transitions', body: { to: 'filing' } },
    ]
    expect(stageAfter('', queued)).toBe('filing')
    expect(stageAfter('filing', [{ kind: 'write', path: 'penalty-proposals', body: {} }])).toBe('review')
  })

  it('offers what the lifecycle allows, and marks the moves that are their own command', () => {
    const moves = movesFrom(lifecycle, 'investigation')
    expect(moves.map((m) => m.stage)).toEqual(['review', 'no_penalty', 'withdrawn'])
    expect(moves.find((m) => m.stage === 'review')!.transition).toBe(false)
    expect(moves.find((m) => m.stage === 'no_penalty')!.transition).toBe(true)
    expect(movesFrom(lifecycle, 'unknown')).toEqual([])
  })
})
