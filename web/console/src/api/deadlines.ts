// Review deadlines in working days (法制审核期限: 7 working days, extendable once by 3).
//
// The review service fixes due_date on China's official calendar (holidays and make-up days
// included) and says whether a task is overdue. The console only counts the working days
// left for display; it knows weekends, not the State Council's holiday list, so around a
// holiday the count shown may be a day or two high, never the deadline itself.
import type { ReviewTask } from './types'

/** 'YYYY-MM-DD' of a date in China (UTC+8), the calendar the deadlines are set on. */
export function chinaDate(now: Date): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
}

function parse(day: string): Date {
  return new Date(`${day}T00:00:00Z`)
}

function isWeekend(d: Date): boolean {
  const wd = d.getUTCDay()
  return wd === 0 || wd === 6
}

/**
 * Working days (Monday to Friday) from today to the due day: 0 when due today, positive when
 * still open, negative when past (the working days it is late by).
 */
export function workingDaysLeft(today: string, due: string): number {
  const a = parse(today)
  const b = parse(due)
  if (a.getTime() === b.getTime()) return 0
  const step = a < b ? 1 : -1
  let n = 0
  const d = new Date(a)
  while (d.getTime() !== b.getTime()) {
    d.setUTCDate(d.getUTCDate() + step)
    if (!isWeekend(d)) n += step
  }
  return n
}

export type Urgency = 'overdue' | 'due-soon' | 'open' | 'done'

const OPEN = new Set(['waiting', 'assigned'])

export function isOpen(task: Pick<ReviewTask, 'status'>): boolean {
  return OPEN.has(task.status)
}

export function urgency(task: ReviewTask, today: string): Urgency {
  if (!isOpen(task)) return 'done'
  if (task.overdue) return 'overdue'
  if (task.due_date && workingDaysLeft(today, task.due_date) < 0) return 'overdue'
  if (task.due_date && workingDaysLeft(today, task.due_date) <= 2) return 'due-soon'
  return 'open'
}

/** In words: 剩余 3 个工作日, 今日到期, 已逾期 2 个工作日. */
export function deadlineText(task: ReviewTask, today: string): string {
  if (!task.due_date) return '无期限'
  if (!isOpen(task)) return `期限 ${task.due_date}`
  const left = workingDaysLeft(today, task.due_date)
  if (left < 0) return `已逾期 ${-left} 个工作日`
  if (task.overdue) return '已逾期'
  if (left === 0) return '今日到期'
  return `剩余 ${left} 个工作日`
}

const RANK: Record<Urgency, number> = { overdue: 0, 'due-soon': 1, open: 2, done: 3 }

/** The queue: overdue first, then open tasks by the earliest deadline, then the finished. */
export function orderQueue(tasks: readonly ReviewTask[], today: string): ReviewTask[] {
  return [...tasks].sort((x, y) => {
    const r = RANK[urgency(x, today)] - RANK[urgency(y, today)]
    if (r !== 0) return r
    const dx = x.due_date ?? '9999-12-31'
    const dy = y.due_date ?? '9999-12-31'
    if (dx !== dy) return dx < dy ? -1 : 1
    return x.created_at < y.created_at ? -1 : x.created_at > y.created_at ? 1 : 0
  })
}

/** The slice of the supervisor's review chart a task belongs to (the list behind a slice). */
export type ReviewBucket = '待审核' | '已逾期' | '已审结' | '无需审核'

export function reviewBucket(task: ReviewTask): ReviewBucket {
  if (task.status === 'not-required') return '无需审核'
  if (!isOpen(task)) return '已审结'
  return task.overdue ? '已逾期' : '待审核'
}
