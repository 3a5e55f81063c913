// Words for the codes the API answers with.

export const STAGES: Record<string, string> = {
  inspection: '检查',
  filing: '立案',
  investigation: '调查取证',
  review: '审查/法制审核',
  notice: '告知',
  decision: '决定',
  service: '送达',
  execution: '执行',
  closing: '结案',
  archived: '归档',
  no_penalty: '不予处罚',
  withdrawn: '撤销',
}

export const REVIEW_STATUS: Record<string, string> = {
  waiting: '待分配',
  assigned: '待审核',
  approved: '已同意',
  returned: '已退回',
  rejected: '不同意',
  'not-required': '无需审核',
  pending: '审核中',
}

export const FINDINGS: Record<string, string> = {
  'within-band': '在裁量基准幅度内',
  departure: '偏离裁量基准（须说明理由）',
  'outside-legal-range': '超出法定幅度',
  'no-band': '基准未列该情节',
  'no-benchmark': '无适用裁量基准',
}

export const CIRCUMSTANCES: Record<string, string> = {
  minor: '情节轻微',
  ordinary: '情节一般',
  serious: '情节严重',
}

export const PENALTY_KINDS: Record<string, string> = {
  warning: '警告',
  fine: '罚款',
  confiscation: '没收违法所得',
  suspension: '责令停产停业',
  closure: '关闭',
  'licence-revocation': '吊销许可证',
  'practice-restriction': '限制从业',
  'qualification-lowering': '降低资质等级',
}

export const ENTRY_KINDS: Record<string, string> = {
  opened: '启动检查',
  transition: '环节变更',
  note: '现场记录',
  evidence: '证据',
  step: '执法步骤',
  document: '文书',
  proposal: '处罚建议',
  'review-outcome': '法制审核结论',
  decision: '处罚决定',
  revocation: '撤销',
}

export const DEVICE_KINDS: Record<string, string> = {
  gas_detector: '燃气报警器',
  shutoff_valve: '紧急切断阀',
  controller: '控制器',
  weigh_station: '称重检测站',
}

export const DEVICE_STATUS: Record<string, string> = { active: '有效', revoked: '已吊销' }

export function label(map: Record<string, string>, key: string | null | undefined): string {
  if (!key) return '—'
  return map[key] ?? key
}

export function yuan(v: number | string | undefined): string {
  const n = Number(v ?? 0)
  return `${n.toLocaleString('zh-CN')} 元`
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })
}

// The review service gives its reasons and the benchmark placement in English (with the
// Chinese term in brackets); the console says them in Chinese. Unknown text is shown as is.
const REASON_PATTERNS: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^a fine over ([\d,]+) yuan for (a person|an organisation)/, (m) => `对${m[2] === 'a person' ? '公民' : '法人或其他组织'}罚款超过 ${m[1]} 元（较大数额罚款）`],
  [/^a confiscation over ([\d,]+) yuan for (a person|an organisation)/, (m) => `对${m[2] === 'a person' ? '公民' : '法人或其他组织'}没收超过 ${m[1]} 元（没收较大数额）`],
  [/^a mitigated penalty/, () => '减轻处罚'],
  [/^the amount departs from the discretion benchmark/, () => '处罚金额偏离裁量基准'],
  [/^the case needs a hearing/, () => '当事人要求听证'],
  [/^major public interest or social impact/, () => '涉及重大公共利益或社会影响较大'],
  [/^a complex case/, () => '案情复杂、涉及多个法律关系'],
  [/^ordering suspension/, () => '责令停产停业'],
  [/^closure/, () => '关闭'],
  [/^restricting practice/, () => '限制从业'],
  [/^lowering a qualification/, () => '降低资质等级'],
  [/^revoking a licence/, () => '吊销许可证件'],
]

export function reasonText(reason: string): string {
  for (const [re, say] of REASON_PATTERNS) {
    const m = reason.match(re)
    if (m) return say(m)
  }
  return reason
}

const PLACEMENT_PATTERNS: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^([\d,]+) yuan is within the (\w+) band ([\d,]+)-([\d,]+) yuan/, (m) => `${m[1]} 元，在“${label(CIRCUMSTANCES, m[2])}”裁量幅度 ${m[3]}–${m[4]} 元之内`],
  [/^([\d,]+) yuan departs from the (\w+) band ([\d,]+)-([\d,]+) yuan/, (m) => `${m[1]} 元，偏离“${label(CIRCUMSTANCES, m[2])}”裁量幅度 ${m[3]}–${m[4]} 元，须书面说明理由`],
  [/^([\d,]+) yuan is outside the legal range ([\d,]+)-([\d,]+) yuan of (.*)$/, (m) => `${m[1]} 元，超出${m[4]}规定的法定幅度 ${m[2]}–${m[3]} 元`],
  [/^the benchmark has no band for circumstance '?(\w+)'?/, (m) => `裁量基准未列“${label(CIRCUMSTANCES, m[1])}”情节的幅度`],
]

export function placementText(message: string): string {
  for (const [re, say] of PLACEMENT_PATTERNS) {
    const m = message.match(re)
    if (m) return say(m)
  }
  return message
}
