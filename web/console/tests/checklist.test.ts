import { describe, expect, it } from 'vitest'
import { emptyChecklist, meetingParticipants, meetingProblems, outcomeProblems, toChecklist } from '../src/api/checklist'

describe('the review checklist', () => {
  it('has the nine items the review service expects', () => {
    expect(emptyChecklist().map((i) => i.item)).toEqual([
      'subject', 'powers', 'facts', 'evidence', 'procedure', 'legal-basis', 'discretion',
      'documents', 'criminal-referral',
    ])
  })
  it('refuses to send before every item is decided and an opinion written', () => {
    const items = emptyChecklist()
    const p = outcomeProblems(items, 'approved', '')
    expect(p[0]).toContain('尚有 9 项未审核')
    expect(p).toContain('请填写审核意见')
  })
  it('approves only when every item passed', () => {
    const items = emptyChecklist().map((i) => ({ ...i, passed: true }))
    expect(outcomeProblems(items, 'approved', '同意')).toEqual([])
    expect(outcomeProblems(items, 'returned', '退回')).toEqual(['退回补正须至少一项不通过'])
    items[3].passed = false
    expect(outcomeProblems(items, 'approved', '同意')).toContain('同意须全部审核项通过')
  })
  it('needs a reason for a failed item', () => {
    const items = emptyChecklist().map((i) => ({ ...i, passed: true }))
    items[3].passed = false
    expect(outcomeProblems(items, 'returned', '补充证据')).toEqual(['“证据是否确凿充分”未通过，请写明理由'])
    items[3].comment = ' 缺少现场照片 '
    expect(outcomeProblems(items, 'returned', '补充证据')).toEqual([])
    expect(toChecklist(items)[3]).toEqual({ item: 'evidence', passed: false, comment: '缺少现场照片' })
  })
})

describe('the collective meeting (集体讨论)', () => {
  it('reads the members once each, however they are separated', () => {
    expect(meetingParticipants('张局长、李副局长\n王科长, 张局长')).toEqual(['张局长', '李副局长', '王科长'])
  })
  it('asks for the date, three members and the minutes', () => {
    expect(meetingProblems({ held_on: '2026-11-30', participants: '甲、乙、丙', minutes: '同意' }, '2026-12-01')).toEqual([])
    expect(meetingProblems({ held_on: '2026-12-02', participants: '甲、乙', minutes: ' ' }, '2026-12-01')).toEqual([
      '集体讨论日期不能晚于今天',
      '集体讨论参会人员至少 3 人（已填 2 人）',
      '请填写会议纪要',
    ])
  })
})
