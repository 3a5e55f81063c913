// The legal review checklist (法制审核内容, 《重大执法决定法制审核办法》) and the rules the
// review service applies to an outcome: approved needs every item passed; returned and
// rejected need at least one failed item; a failed item needs a comment.
import type { CheckItem, CheckItemKey } from './types'

export const CHECK_ITEMS: { item: CheckItemKey; label: string; hint: string }[] = [
  { item: 'subject', label: '执法主体是否合法', hint: '实施机关是否具有法定职权' },
  { item: 'powers', label: '执法人员是否具备执法资格', hint: '两名以上持证执法人员' },
  { item: 'facts', label: '案件事实是否清楚', hint: '违法事实、当事人认定准确' },
  { item: 'evidence', label: '证据是否确凿充分', hint: '证据合法、真实、关联，形成证据链' },
  { item: 'procedure', label: '程序是否合法', hint: '立案、调查、告知等程序完备' },
  { item: 'legal-basis', label: '适用法律依据是否准确', hint: '条款引用正确' },
  { item: 'discretion', label: '裁量是否适当', hint: '处罚种类、幅度符合裁量基准' },
  { item: 'documents', label: '执法文书是否规范', hint: '文书齐全、制作规范' },
  { item: 'criminal-referral', label: '是否涉嫌犯罪需移送司法机关', hint: '无需移送即为通过' },
]

export const CHECK_LABEL: Record<string, string> = Object.fromEntries(
  CHECK_ITEMS.map((c) => [c.item, c.label]),
)

export type Outcome = 'approved' | 'returned' | 'rejected'

export const OUTCOME_LABEL: Record<Outcome, string> = {
  approved: '同意',
  returned: '退回补正',
  rejected: '不同意',
}

/** A fresh checklist: nothing decided yet (null until the reviewer ticks pass or fail). */
export interface DraftItem {
  item: CheckItemKey
  passed: boolean | null
  comment: string
}

export function emptyChecklist(): DraftItem[] {
  return CHECK_ITEMS.map((c) => ({ item: c.item, passed: null, comment: '' }))
}

/** What still stands in the way of this outcome, in words; empty when it may be sent. */
export function outcomeProblems(items: readonly DraftItem[], outcome: Outcome, opinion: string): string[] {
  const out: string[] = []
  const undecided = items.filter((i) => i.passed === null)
  if (undecided.length) out.push(`尚有 ${undecided.length} 项未审核：${undecided.map((i) => CHECK_LABEL[i.item]).join('、')}`)
  const failed = items.filter((i) => i.passed === false)
  for (const f of failed) {
    if (!f.comment.trim()) out.push(`“${CHECK_LABEL[f.item]}”未通过，请写明理由`)
  }
  if (outcome === 'approved' && failed.length) out.push('同意须全部审核项通过')
  if (outcome !== 'approved' && !failed.length && !undecided.length) {
    out.push(`${OUTCOME_LABEL[outcome]}须至少一项不通过`)
  }
  if (!opinion.trim()) out.push('请填写审核意见')
  return out
}

/** The checklist as the API takes it (call only when outcomeProblems is empty). */
export function toChecklist(items: readonly DraftItem[]): CheckItem[] {
  return items.map((i) => ({ item: i.item, passed: i.passed === true, comment: i.comment.trim() }))
}

/** The collective meeting's record (集体讨论) as the reviewer types it. */
export interface MeetingDraft {
  held_on: string
  participants: string
  minutes: string
}

/** The members' names typed one per line or separated by 、，, or spaces, each once. */
export function meetingParticipants(text: string): string[] {
  return [...new Set(text.split(/[\n、，,;；\s]+/).map((s) => s.trim()).filter(Boolean))]
}

/** What the meeting's record still lacks (the review service's rule: date not in the future,
 * at least 3 named members, minutes). */
export function meetingProblems(m: MeetingDraft, today: string): string[] {
  const out: string[] = []
  if (!/^\d{4}-\d{2}-\d{2}$/.test(m.held_on)) out.push('请选择集体讨论的日期')
  else if (m.held_on > today) out.push('集体讨论日期不能晚于今天')
  const n = meetingParticipants(m.participants).length
  if (n < 3) out.push(`集体讨论参会人员至少 3 人（已填 ${n} 人）`)
  if (!m.minutes.trim()) out.push('请填写会议纪要')
  return out
}
