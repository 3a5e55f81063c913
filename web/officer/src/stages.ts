// Which stage moves to offer. Online, the server says (GET /v1/cases/{id}/next-stages, with
// what each move still needs). Offline, the app uses the case lifecycle the server published
// (GET /v1/lifecycle, kept on the phone) from the stage the case will be in once the queued
// writes are applied; nothing about the stages is written into the app itself.

export interface LifecycleStage {
  stage: string
  /** stages reachable from this one */
  next: string[]
  /** the call that reaches this stage when it is not a plain transition */
  via: string
}

export interface Move {
  stage: string
  ready: boolean
  needs: string[]
  /** a plain transition (POST .../transitions), not its own command (proposal, decision) */
  transition: boolean
}

/** What a queued write does to the stage, by the route it posts to. */
export function stageAfter(
  serverStage: string,
  queued: { kind: string; path?: string; body: Record<string, unknown> }[],
): string {
  let stage = serverStage
  for (const op of queued) {
    if (op.kind === 'open-case') stage = 'inspection'
    else if (op.path === 'transitions') stage = String(op.body.to)
    else if (op.path === 'penalty-proposals') stage = 'review'
    else if (op.path === 'decision') stage = 'decision'
  }
  return stage
}

const TRANSITION_CALL = /\/transitions$/

/** The moves the lifecycle allows from a stage; whether guards hold is known only online. */
export function movesFrom(lifecycle: LifecycleStage[], stage: string): Move[] {
  const here = lifecycle.find((s) => s.stage === stage)
  if (!here) return []
  return here.next.map((to) => {
    const target = lifecycle.find((s) => s.stage === to)
    const via = target?.via ?? ''
    return { stage: to, ready: true, needs: [], transition: !via || TRANSITION_CALL.test(via) }
  })
}
