// Truck overload checks (超限超载) as the road officer's phone reads them: the inspection's
// states in words and a weighing's verdict explained line by line.

export interface Verdict {
  rules_version: string
  rules_description: string
  limit_t: number
  limit_basis: string
  adjustments: string[]
  measured_t: number
  tolerance_t: number
  over_t: number
  over_limit: boolean
  suspicion_only: boolean
  fine_yuan: number
  fine_rule: string
  fine_reading: string
  overload_percent: number | string
  overload_fine_yuan: number
  overload_rule: string
  size_violations: string[]
  size_fine_yuan: number
  size_rule: string
  axle_findings: string[]
  hundred_tonne_king: boolean
  permit_no: string
  notes: string[]
}

export interface Inspection {
  inspection_id: string
  plate: string
  station_id: string
  status: string
  last_verdict: Verdict
  hundred_tonne_king: boolean
  opened_at: string
  updated_at: string
}

export interface InspectionSummary {
  inspection: Inspection
  town: string
  station_name: string
}

export interface WeighingRecord {
  weighing_id: string
  scale_kind: string
  gross_t: number
  verdict: Verdict
  recorded_by: string
  weighed_at: string
  photos: { photo_id: string; media_type: string; sha256: string; url: string }[]
}

export interface InspectionFile {
  summary: InspectionSummary
  weighings: WeighingRecord[]
  confirmed_by: { officer_id: string; name: string; certificate_no: string }[]
  static_weighing_id: string
}

export const INSPECTION_STATUS: Record<string, string> = {
  suspected: '预检超限嫌疑',
  intercepted: '已引导进站',
  weighed: '静态复检超限，待两名执法人员确认',
  confirmed: '超限已确认',
  cleared: '复检未超限',
  unloaded: '卸载/转运中',
  reweighed: '复秤合格',
  released: '已放行',
}

export const SCALE_KINDS: Record<string, string> = { static: '静态称重', wim: '动态预检（不作处罚依据）' }

/** Only a static reading over the limit waits for the officers' confirmation on site. */
export function awaitsConfirmation(i: Inspection): boolean {
  return i.status === 'weighed'
}

/** The verdict as the lines an officer reads out: limit and why, measured, tolerance, fines. */
export function explain(v: Verdict): { label: string; text: string }[] {
  const lines: { label: string; text: string }[] = [
    { label: '限值', text: `${v.limit_t} 吨${v.limit_basis ? `（${v.limit_basis}）` : ''}` },
  ]
  for (const a of v.adjustments ?? []) lines.push({ label: '限值调整', text: a })
  lines.push({ label: '实测', text: `${v.measured_t} 吨，计量允差 ${v.tolerance_t} 吨` })
  lines.push({
    label: '结论',
    text: v.over_limit
      ? `超限 ${v.over_t} 吨${v.suspicion_only ? '（动态预检，仅为嫌疑，须静态复检）' : ''}`
      : '未超限',
  })
  if (v.permit_no) lines.push({ label: '超限运输许可', text: v.permit_no })
  for (const f of v.axle_findings ?? []) lines.push({ label: '轴载', text: f })
  for (const s of v.size_violations ?? []) lines.push({ label: '外廓尺寸', text: s })
  if (v.fine_yuan) lines.push({ label: '超限罚款', text: `${v.fine_yuan} 元：${v.fine_rule}${v.fine_reading ? `（${v.fine_reading}）` : ''}` })
  if (v.overload_fine_yuan) lines.push({ label: '超载（移送公安交管）', text: `${v.overload_percent}%，${v.overload_fine_yuan} 元：${v.overload_rule}` })
  if (v.size_fine_yuan) lines.push({ label: '尺寸罚款', text: `${v.size_fine_yuan} 元：${v.size_rule}` })
  if (v.hundred_tonne_king) lines.push({ label: '百吨王', text: '车货总质量 100 吨以上' })
  for (const n of v.notes ?? []) lines.push({ label: '说明', text: n })
  if (v.rules_version) lines.push({ label: '适用规则', text: rulesLabel(v.rules_version) })
  return lines
}

/** The rules version in words: the service's description of a version is English, for
 * developers; the officer reads which rules decided. */
export const RULES_LABELS: Record<string, string> = {
  'jt-2016-62/gb1589-2016/v1': '交通运输部令2016年第62号 + GB 1589-2016（第1版）',
  'jt-2016-62/gb1589-2016/v2': '交通运输部令2016年第62号 + GB 1589-2016（第2版：第三条第二款各项全部适用）',
}

export function rulesLabel(version: string): string {
  return RULES_LABELS[version] ?? `规则版本 ${version}`
}
