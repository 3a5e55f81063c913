// Role-based navigation: nobody sees a menu they cannot use (the gateway still refuses
// anything else; this only keeps the screen honest).

export interface MenuItem {
  path: string
  label: string
  /** any of these roles may open it */
  roles: string[]
}

export const MENU: MenuItem[] = [
  { path: '/reviews', label: '法制审核', roles: ['legal_reviewer'] },
  { path: '/dashboard', label: '监管总览', roles: ['supervisor', 'admin'] },
  { path: '/hazards', label: '隐患治理', roles: ['supervisor'] },
  { path: '/hazard-sources', label: '重大危险源', roles: ['officer', 'supervisor', 'admin'] },
  { path: '/users', label: '账号管理', roles: ['admin'] },
  { path: '/devices', label: '设备与凭据', roles: ['admin'] },
  { path: '/registers', label: '场所与检测站', roles: ['admin'] },
  { path: '/calendar', label: '节假日安排', roles: ['admin'] },
  { path: '/audit', label: '操作记录', roles: ['admin'] },
  { path: '/venue', label: '我的场所', roles: ['venue_owner'] },
]

/** The menu items a user with these roles may open, in menu order. */
export function menuFor(roles: readonly string[]): MenuItem[] {
  return MENU.filter((m) => m.roles.some((r) => roles.includes(r)))
}

/** May a user with these roles open this path (or a page under it)? */
export function mayOpen(roles: readonly string[], path: string): boolean {
  const item = MENU.find((m) => path === m.path || path.startsWith(`${m.path}/`))
  return item ? item.roles.some((r) => roles.includes(r)) : true
}

/** Where a user lands after login: the first screen they may use, else the no-access page. */
export function homeFor(roles: readonly string[]): string {
  return menuFor(roles)[0]?.path ?? '/no-access'
}

export const ROLE_LABELS: Record<string, string> = {
  officer: '执法人员',
  legal_reviewer: '法制审核员',
  supervisor: '监督人员',
  admin: '系统管理员',
  venue_owner: '场所负责人',
}
