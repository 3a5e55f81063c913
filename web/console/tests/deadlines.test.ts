import { describe, expect, it } from 'vitest'
import { chinaDate, deadlineText, orderQueue, reviewBucket, urgency, workingDaysLeft } from '../src/api/deadlines'
import type { ReviewTask } from '../src/api/types'

function task(over: Partial<ReviewTask>): ReviewTask {
  return {
    review_id: 'r', case_id: 'c', proposal_id: 'p', round: 1, agency_id: 'a', town: '薛家镇',
    case_title: 't', party_name: 'p', party_kind: 'organization', officer_ids: [], proposal: {},
    major: true, reasons: [], placement: { benchmark_id: '', version: 0, finding: '', message: '' },
    status: 'assigned', reviewer_id: 'u', checklist: [], opinion: '', due_date: null,
    extended: false, extension_reason: '', overdue: false, created_at: '2026-11-20T00:00:00Z',
    completed_at: null, ...over,
  }
}

describe('working days', () => {
  it('counts Monday to Friday only', () => {
    // 2026-12-04 is a Friday, 2026-12-07 the Monday after.
    expect(workingDaysLeft('2026-12-04', '2026-12-07')).toBe(1)
    expect(workingDaysLeft('2026-12-01', '2026-12-10')).toBe(7)
    expect(workingDaysLeft('2026-12-07', '2026-12-07')).toBe(0)
  })
  it('is negative past the deadline', () => {
    expect(workingDaysLeft('2026-12-07', '2026-12-04')).toBe(-1)
    expect(workingDaysLeft('2026-12-14', '2026-12-04')).toBe(-6)
  })
  it('takes the date in China', () => {
    expect(chinaDate(new Date('2026-12-01T17:00:00Z'))).toBe('2026-12-02')
    expect(chinaDate(new Date('2026-12-01T15:59:00Z'))).toBe('2026-12-01')
  })
})

describe('the queue', () => {
  const today = '2026-12-07'
  it('puts overdue first, then the earliest deadline, then the finished', () => {
    const later = task({ review_id: 'later', due_date: '2026-12-15' })
    const soon = task({ review_id: 'soon', due_date: '2026-12-08' })
    const late = task({ review_id: 'late', due_date: '2026-12-03', overdue: true })
    const done = task({ review_id: 'done', due_date: '2026-12-01', status: 'approved' })
    const none = task({ review_id: 'none', status: 'waiting' })
    expect(orderQueue([done, later, none, soon, late], today).map((t) => t.review_id)).toEqual([
      'late', 'soon', 'later', 'none', 'done',
    ])
  })
  it('trusts the service when it says overdue (a holiday it knows of)', () => {
    const t = task({ due_date: '2026-12-08', overdue: true })
    expect(urgency(t, today)).toBe('overdue')
    expect(deadlineText(t, today)).toBe('已逾期')
  })
  it('says the working days in words', () => {
    expect(deadlineText(task({ due_date: '2026-12-10' }), today)).toBe('剩余 3 个工作日')
    expect(deadlineText(task({ due_date: '2026-12-07' }), today)).toBe('今日到期')
    expect(deadlineText(task({ due_date: '2026-12-03' }), today)).toBe('已逾期 2 个工作日')
    expect(deadlineText(task({ due_date: null }), today)).toBe('无期限')
    expect(urgency(task({ due_date: '2026-12-09' }), today)).toBe('due-soon')
    expect(urgency(task({ due_date: '2026-12-10' }), today)).toBe('open')
  })
})

describe('the review chart behind its slices', () => {
  it('puts each task in one slice', () => {
    expect(reviewBucket(task({ status: 'waiting' }))).toBe('待审核')
    expect(reviewBucket(task({ status: 'assigned', overdue: true }))).toBe('已逾期')
    expect(reviewBucket(task({ status: 'returned' }))).toBe('已审结')
    expect(reviewBucket(task({ status: 'not-required' }))).toBe('无需审核')
  })
})
