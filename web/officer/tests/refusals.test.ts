import { describe, expect, it } from 'vitest'
import type { QueuedOp } from '../src/offline/db'
import { applyEdits, editableFields, reasonFor } from '../src/offline/refusals'

const op = (body: Record<string, unknown>, kind: QueuedOp['kind'] = 'write'): QueuedOp => ({
  kind,
  caseRef: 'c-1',
  path: 'penalty-proposals',
  body,
  idempotencyKey: 'k',
  label: '处罚建议',
  status: 'failed',
  attempts: 1,
  createdAt: '2026-12-01T08:00:00Z',
})

describe('a refused write', () => {
  it('says why in words, naming each wrong field', () => {
    const text = reasonFor({
      type: 'https://x/problems/invalid-request',
      title: '请求内容有误',
      status: 422,
      detail: '请求内容有误',
      errors: [
        { loc: ['body', 'facts'], msg: '至少 1 个字符' },
        { loc: ['body', 'discretion', 'departure_reason'], msg: '必须填写' },
      ],
    })
    expect(text).toBe('请求内容有误；违法事实：至少 1 个字符；裁量 › 偏离裁量基准的理由：必须填写')
    expect(reasonFor({ type: 'x/not-allowed-now', title: '当前状态下不允许此操作', status: 409, detail: '案件在审查阶段' })).toBe(
      '当前状态下不允许此操作：案件在审查阶段',
    )
  })

  it('offers the officer its content to correct, never its ids, time or place', () => {
    const fields = editableFields(
      op({
        client_entry_id: 'e-1',
        device_time: '2026-12-01T16:00:00+08:00',
        location: { latitude: 31.8, longitude: 119.9, accuracy_m: 12 },
        client: { app_version: '0.1.0', location_missing: '' },
        fine_yuan: 5000,
        legal_basis: ['《安全生产法》第九十九条'],
        facts: '未安装报警装置',
        discretion: { benchmark_id: 'b', departure_reason: '' },
      }),
    )
    expect(fields.map((f) => f.path.join('.'))).toEqual(['fine_yuan', 'legal_basis', 'facts', 'discretion.departure_reason'])
    expect(editableFields(op({ text: 'x' }, 'evidence'))).toEqual([])
  })

  it('applies the corrections to a copy, numbers as numbers and lines as a list', () => {
    const body = { fine_yuan: 5000, legal_basis: ['a'], payload: { text: '旧' } }
    const fields = editableFields(op(body))
    fields.find((f) => f.path[0] === 'fine_yuan')!.value = '8000'
    fields.find((f) => f.path[0] === 'legal_basis')!.value = '第一条\n\n 第二条 '
    fields.find((f) => f.path[1] === 'text')!.value = ' 新 '
    expect(applyEdits(body, fields)).toEqual({ fine_yuan: 8000, legal_basis: ['第一条', '第二条'], payload: { text: '新' } })
    expect(body.payload.text).toBe('旧')
  })
})
