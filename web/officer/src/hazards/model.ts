// Hazards (隐患) as the officer's phone shows them: the API's views, their words in zh-CN, the
// list's filters and its order (overdue first, then the nearest deadline).

export interface HazardPhoto {
  photo_id: string
  owner: 'hazard' | 'rectification' | 'reinspection'
  object_key: string
  url?: string
}

export interface Criterion {
  criterion_id: string
  text: string
  article: string
}

export interface Hazard {
  hazard_id: string
  hazard_no: string
  town: string
  sector: string
  sector_name: string
  kind: string
  credit_code: string
  enterprise_name: string
  location: string
  description: string
  source: string
  status: string
  grade: 'general' | 'major'
  grade_name: string
  grading: { grade: string; checklist_version: string; standard: string; criteria: Criterion[]; reason: string } | null
  responsibility: { enterprise: string; department: string; town: string }
  rectification_order: {
    responsible_person: string
    measures: string
    funds_yuan: number
    deadline_working_days: number
    contingency_plan: string
    issued_on?: string
  } | null
  order_due: string | null
  working_days_left: number | null
  supervision: { office: string; plan: string } | null
  supervision_due: string | null
  registered_at: string
  closed_on: string | null
  overdue: boolean
  step_due: string | null
  supervision_overdue: boolean
  findings?: { source: string; role: string; detail: Record<string, unknown>; found_at: string }[]
  timeline?: ({ kind: string; actor_id: string; at: string } & Record<string, unknown>)[]
  photos?: HazardPhoto[]
}

export interface Checklist {
  sector: string
  version: string
  standard: string
  criteria: Criterion[]
}

export const HAZARD_STATUS: Record<string, string> = {
  registered: '待下达整改',
  rectifying: '整改中',
  reported: '待复查',
  'awaiting-review': '待督办审核',
  closed: '已销号',
}

/** In the picker's order: the sectors a town officer meets most first. */
export const SECTORS: Record<string, string> = {
  'industry-trade': '工贸',
  'hazardous-chemicals': '危险化学品',
  'town-gas': '城镇燃气',
  fire: '消防',
  construction: '建设施工',
  'road-transport': '道路运输',
  'special-equipment': '特种设备',
  other: '其他',
}

export const SOURCES: Record<string, string> = {
  inspection: '执法检查',
  patrol: '督导检查',
  'case-finding': '案件发现',
  'public-report': '群众举报',
  'gas-unprotected': '燃气报警装置失效',
  'gas-alarm': '燃气报警',
  'loading-source': '货运源头',
}

export const STEPS: Record<string, string> = {
  warning: '警示',
  summons: '约谈',
  notice: '督办通知',
  case: '立案查处',
}

export const TIMELINE: Record<string, string> = {
  registered: '挂号登记',
  'duplicate-linked': '重复发现，已并入',
  graded: '定级',
  'order-issued': '下达整改（五落实）',
  supervised: '挂牌督办',
  'link-issued': '发出企业整改链接',
  'rectification-reported': '企业报告整改',
  reinspected: '复查',
  'supervision-reviewed': '督办审核',
  'escalated-warning': '逾期警示',
  'escalated-summons': '约谈',
  'escalated-notice': '督办通知',
  'escalated-case': '移交立案查处',
  closed: '销号',
  'reporter-identity-read': '查看举报人信息',
  'report-verified': '举报核实',
}

export type HazardFilter = 'all' | 'rectify' | 'reinspect' | 'overdue' | 'major'

export const FILTERS: { key: HazardFilter; text: string }[] = [
  { key: 'all', text: '全部' },
  { key: 'rectify', text: '待整改' },
  { key: 'reinspect', text: '待复查' },
  { key: 'overdue', text: '逾期' },
  { key: 'major', text: '重大' },
]

/** Whether a hazard belongs under a filter chip of the list. */
export function matches(h: Hazard, filter: HazardFilter): boolean {
  switch (filter) {
    case 'rectify':
      return h.status === 'registered' || h.status === 'rectifying'
    case 'reinspect':
      return h.status === 'reported'
    case 'overdue':
      return h.overdue || h.supervision_overdue
    case 'major':
      return h.grade === 'major'
    default:
      return true
  }
}

/** Overdue first (longest past first), then open ones by the working days left (none last),
 * closed ones at the end; newest registration breaks ties. */
export function sortHazards(list: Hazard[]): Hazard[] {
  const rank = (h: Hazard) => (h.status === 'closed' ? 2 : h.overdue || h.supervision_overdue ? 0 : 1)
  const left = (h: Hazard) => h.working_days_left ?? Number.POSITIVE_INFINITY
  return [...list].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (rank(a) < 2 ? left(a) - left(b) : 0) ||
      b.registered_at.localeCompare(a.registered_at),
  )
}

export function filterHazards(list: Hazard[], filter: HazardFilter, query = ''): Hazard[] {
  const q = query.trim()
  return sortHazards(
    list.filter(
      (h) =>
        matches(h, filter) &&
        (!q || h.enterprise_name.includes(q) || h.hazard_no.includes(q) || h.kind.includes(q) || h.credit_code.includes(q.toUpperCase())),
    ),
  )
}

export function counts(list: Hazard[]): Record<HazardFilter, number> {
  const out = {} as Record<HazardFilter, number>
  for (const f of FILTERS) out[f.key] = list.filter((h) => matches(h, f.key)).length
  return out
}

/** The deadline in words: working days left, due today, or overdue by N working days. */
export function deadlineText(
  h: Pick<Hazard, 'status' | 'order_due' | 'working_days_left' | 'overdue'>,
): string {
  if (h.status === 'closed') return '已销号'
  if (!h.order_due) return h.status === 'registered' ? '未下达整改' : ''
  const n = h.working_days_left
  if (h.overdue) return n ? `逾期 ${Math.abs(n)} 个工作日（期限 ${h.order_due}）` : `已逾期（期限 ${h.order_due}）`
  if (n === null || n === undefined) return `期限 ${h.order_due}`
  if (n > 0) return `剩 ${n} 个工作日（${h.order_due}）`
  return `今日到期（${h.order_due}）`
}
