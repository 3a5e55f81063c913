// zh-CN words for the API's codes.
export const STAGES: Record<string, string> = {
  inspection: '检查',
  filing: '立案',
  investigation: '调查取证',
  review: '审查',
  notice: '告知',
  decision: '决定',
  service: '送达',
  execution: '执行',
  closing: '结案',
  archived: '归档',
  no_penalty: '不予处罚',
  withdrawn: '撤销',
}

export const DOMAINS: Record<string, string> = {
  gas: '城镇燃气',
  'hazardous-chemicals': '危险化学品',
  'road-transport': '道路运输',
  construction: '建设施工',
  fire: '消防',
  mining: '矿山',
  'industry-trade': '工贸',
  'special-equipment': '特种设备',
  other: '其他',
}

export const ENTRY_KINDS: Record<string, string> = {
  opened: '立项',
  transition: '阶段',
  note: '记录',
  step: '现场行为',
  evidence: '证据',
  document: '文书',
  signature: '签名',
  statement: '陈述申辩',
  'hearing-request': '听证申请',
  correction: '更正',
  proposal: '处罚建议',
  'review-outcome': '法制审核',
  decision: '处罚决定',
  revocation: '撤销决定',
}

export const PENALTY_KINDS: Record<string, string> = {
  warning: '警告',
  fine: '罚款',
  confiscation: '没收',
  suspension: '责令停产停业',
  closure: '关闭',
  'practice-restriction': '限制从业',
  'qualification-lowering': '降低资质等级',
  'licence-revocation': '吊销许可证件',
}

export const REVIEW_STATUS: Record<string, string> = {
  pending: '法制审核中',
  approved: '审核通过',
  returned: '退回修改',
  rejected: '审核不同意',
  not_required: '无需法制审核',
  'not-required': '无需法制审核',
}

export function label(map: Record<string, string>, code: string | null | undefined): string {
  if (!code) return ''
  return map[code] ?? code
}

export function shortTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getMonth() + 1}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}
