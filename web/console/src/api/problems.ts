// Errors in words: a problem+json answer, a network failure or an ended session.
import { ApiError, NetworkError, SessionExpired } from './client'

const BY_STATUS: Record<number, string> = {
  400: '请求有误',
  401: '登录已失效，请重新登录',
  403: '无权进行此操作',
  404: '未找到',
  409: '与当前状态冲突',
  413: '内容过大',
  422: '填写内容不符合要求',
  429: '操作过于频繁，请稍后再试',
  500: '服务器出错，请稍后再试',
  502: '后台服务暂不可用，请稍后再试',
  503: '后台服务暂不可用，请稍后再试',
  504: '后台服务响应超时，请稍后再试',
}

/** One line for a message box: what went wrong, and the server's own words when it gave any. */
export function explain(err: unknown): string {
  if (err instanceof ApiError) {
    const head = BY_STATUS[err.status] ?? `请求失败（${err.status}）`
    const p = err.problem
    const fields = (p.errors ?? []).map((e) => `${e.loc.filter((l) => l !== 'body').join('.')}：${e.msg}`)
    const words = [p.detail, ...fields].filter(Boolean).join('；')
    return words ? `${head}：${words}` : head
  }
  if (err instanceof SessionExpired) return '登录已失效，请重新登录'
  if (err instanceof NetworkError) return '无法连接服务器，请检查网络'
  return err instanceof Error ? err.message : String(err)
}
