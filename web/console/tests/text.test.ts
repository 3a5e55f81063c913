import { describe, expect, it } from 'vitest'
import { countBy, crossCount, toCsv } from '../src/api/aggregate'
import { placementText, reasonText } from '../src/api/labels'
import { parseSse } from '../src/api/sse'

describe('the review service in Chinese', () => {
  it('translates the reasons a proposal is major', () => {
    expect(reasonText('a fine over 100,000 yuan for an organisation (较大数额罚款)')).toBe(
      '对法人或其他组织罚款超过 100,000 元（较大数额罚款）',
    )
    expect(reasonText('something new')).toBe('something new')
  })
  it('translates where the amount sits in the benchmark', () => {
    expect(placementText('150,000 yuan is within the serious band 100,000-200,000 yuan')).toBe(
      '150,000 元，在“情节严重”裁量幅度 100,000–200,000 元之内',
    )
    expect(placementText("the benchmark has no band for circumstance 'odd'")).toBe('裁量基准未列“odd”情节的幅度')
  })
})

describe('server-sent events', () => {
  it('splits complete events and keeps the rest', () => {
    const { events, rest } = parseSse('retry: 2000\n\nid: a:1\nevent: alarm\ndata: {"x":1}\n\nevent: dev')
    expect(events).toEqual([{ event: 'alarm', data: '{"x":1}', id: 'a:1' }])
    expect(rest).toBe('event: dev')
  })
  it('joins multi-line data and ignores comments', () => {
    expect(parseSse(': ping\r\ndata: a\r\ndata: b\r\n\r\n').events).toEqual([{ event: 'message', data: 'a\nb', id: undefined }])
  })
})

describe('charts and their lists', () => {
  it('counts by key, biggest first', () => {
    expect(countBy(['a', 'b', 'b', 'c', 'c'], (x) => x)).toEqual([
      { key: 'b', count: 2 }, { key: 'c', count: 2 }, { key: 'a', count: 1 },
    ])
  })
  it('crosses stage and town in the stage order', () => {
    const t = crossCount(
      [{ s: 'review', t: 'B' }, { s: 'filing', t: 'A' }, { s: 'review', t: 'A' }, { s: 'odd', t: 'A' }],
      (x) => x.s, (x) => x.t, ['filing', 'review'],
    )
    expect(t.rows).toEqual(['filing', 'review', 'odd'])
    expect(t.cols).toEqual(['A', 'B'])
    expect(t.cell('review', 'A')).toBe(1)
    expect(t.cell('filing', 'B')).toBe(0)
  })
  it('writes CSV a spreadsheet opens safely', () => {
    const csv = toCsv([{ n: '某公司, "东区"', f: '=cmd' }], [
      { label: '名称', value: (r) => r.n }, { label: '公式', value: (r) => r.f },
    ])
    expect(csv).toBe('\uFEFF名称,公式\r\n"某公司, ""东区""",\'=cmd\r\n')
  })
})
