// A refused write (409, 422, ...) in words, and what of it the officer can change before
// sending it again. Pure functions: the queue screen shows them, the queue applies the edit.
import type { Problem } from '../api/types'
import type { QueuedOp } from './db'

/** Fields the officer may correct, with their zh-CN names; ids, times and places stay. */
const EDITABLE: Record<string, { label: string; input: 'text' | 'textarea' | 'number' | 'lines' }> = {
  title: { label: '案由', input: 'text' },
  text: { label: '内容', input: 'textarea' },
  findings: { label: '检查情况', input: 'textarea' },
  reason: { label: '理由', input: 'textarea' },
  caption: { label: '说明', input: 'text' },
  facts: { label: '违法事实', input: 'textarea' },
  fine_yuan: { label: '罚款（元）', input: 'number' },
  legal_basis: { label: '处罚依据', input: 'lines' },
  decision_text: { label: '决定书', input: 'textarea' },
  departure_reason: { label: '偏离裁量基准的理由', input: 'textarea' },
  name: { label: '当事人名称', input: 'text' },
  credit_code: { label: '统一社会信用代码', input: 'text' },
  legal_representative: { label: '法定代表人', input: 'text' },
  address: { label: '地址', input: 'text' },
  // hazards
  kind: { label: '隐患类别', input: 'text' },
  location: { label: '隐患地点', input: 'text' },
  description: { label: '隐患描述', input: 'textarea' },
  enterprise_name: { label: '企业名称', input: 'text' },
  opinion: { label: '复查意见', input: 'textarea' },
  summary: { label: '整改情况', input: 'textarea' },
  responsible_person: { label: '整改责任人', input: 'text' },
  measures: { label: '整改措施', input: 'textarea' },
  contingency_plan: { label: '应急预案', input: 'textarea' },
  deadline_working_days: { label: '整改期限（工作日）', input: 'number' },
}

/** Words for the places `errors[].loc` names, so a 422 reads as which field is wrong. */
const PLACES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(EDITABLE).map(([k, v]) => [k, v.label])),
  payload: '内容',
  party: '当事人',
  discretion: '裁量',
  kinds: '处罚种类',
  to: '目标阶段',
  co_officer_ids: '同行执法人员',
  officer_ids: '执法人员',
  location: '定位',
  device_time: '手机时间',
  domain: '领域',
}

export interface EditableField {
  /** where in the body: keys from the top, e.g. ['payload', 'text'] */
  path: string[]
  label: string
  input: 'text' | 'textarea' | 'number' | 'lines'
  /** as the form shows it: lines joined by a newline */
  value: string
}

/** The refusal in words: the server's title and detail, each wrong field by its name. */
export function reasonFor(problem: Problem): string {
  const head = problem.detail && problem.detail !== problem.title ? `${problem.title}：${problem.detail}` : problem.title
  const fields = (problem.errors ?? []).map((e) => {
    const where = e.loc
      .filter((p) => p !== 'body' && typeof p === 'string')
      .map((p) => PLACES[p as string] ?? String(p))
      .filter((name, i, all) => name !== all[i - 1]) // payload › text reads as one 内容
      .join(' › ')
    return where ? `${where}：${e.msg}` : e.msg
  })
  return [head, ...fields].filter(Boolean).join('；')
}

/** What the officer may correct in a refused write; [] for a file (it is sent as taken). */
export function editableFields(op: QueuedOp): EditableField[] {
  if (op.kind === 'evidence') return []
  const found: EditableField[] = []
  const walk = (node: unknown, path: string[]) => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const spec = EDITABLE[key]
      if (spec && spec.input === 'lines' && Array.isArray(value)) {
        found.push({ path: [...path, key], ...spec, value: value.map(String).join('\n') })
      } else if (spec && (typeof value === 'string' || typeof value === 'number')) {
        found.push({ path: [...path, key], ...spec, value: String(value) })
      } else if (typeof value === 'object' && key !== 'location' && key !== 'client') {
        walk(value, [...path, key])
      }
    }
  }
  walk(op.body, [])
  return found
}

/** The body with the officer's corrections; the original is left as it was. */
export function applyEdits(body: Record<string, unknown>, edits: EditableField[]): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>
  for (const field of edits) {
    let node = copy as Record<string, unknown>
    for (const key of field.path.slice(0, -1)) node = node[key] as Record<string, unknown>
    const last = field.path[field.path.length - 1]
    node[last] =
      field.input === 'number'
        ? Number(field.value || 0)
        : field.input === 'lines'
          ? field.value.split('\n').map((s) => s.trim()).filter(Boolean)
          : field.value.trim()
  }
  return copy
}
