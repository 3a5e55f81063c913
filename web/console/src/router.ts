import { createRouter, createWebHistory } from 'vue-router'
import { homeFor, mayOpen } from './api/roles'
import { currentUser } from './session'

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', component: () => import('./views/NoAccessView.vue') },
    { path: '/login', component: () => import('./views/LoginView.vue'), meta: { bare: true } },
    { path: '/reviews', component: () => import('./views/ReviewQueueView.vue'), meta: { title: '法制审核' } },
    { path: '/reviews/:id', component: () => import('./views/ReviewView.vue'), props: true, meta: { title: '法制审核' } },
    { path: '/dashboard', component: () => import('./views/DashboardView.vue'), meta: { title: '监管总览' } },
    { path: '/dashboard/cases', component: () => import('./views/CaseListView.vue'), meta: { title: '案件清单' } },
    { path: '/dashboard/reviews', component: () => import('./views/ReviewListView.vue'), meta: { title: '法制审核清单' } },
    { path: '/dashboard/deadlines', component: () => import('./views/DeadlineListView.vue'), meta: { title: '即将超期事项' } },
    { path: '/dashboard/disclosures', component: () => import('./views/DisclosureListView.vue'), meta: { title: '公示及时情况' } },
    { path: '/hazards', component: () => import('./views/HazardsView.vue'), meta: { title: '隐患治理' } },
    { path: '/hazard-sources', component: () => import('./views/HazardSourcesView.vue'), meta: { title: '重大危险源' } },
    { path: '/hazard-sources/:id', component: () => import('./views/HazardSourceUnitView.vue'), props: true, meta: { title: '重大危险源' } },
    { path: '/users', component: () => import('./views/UsersView.vue'), meta: { title: '账号管理' } },
    { path: '/devices', component: () => import('./views/DevicesView.vue'), meta: { title: '设备与凭据' } },
    { path: '/registers', component: () => import('./views/RegistersView.vue'), meta: { title: '场所与检测站' } },
    { path: '/calendar', component: () => import('./views/CalendarView.vue'), meta: { title: '节假日安排' } },
    { path: '/audit', component: () => import('./views/AuditView.vue'), meta: { title: '操作记录' } },
    { path: '/venue', component: () => import('./views/VenueView.vue'), meta: { title: '我的场所', phone: true } },
    { path: '/no-access', component: () => import('./views/NoAccessView.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to) => {
  if (to.path === '/login') return true
  const user = await currentUser()
  if (!user) return { path: '/login', query: { next: to.fullPath } }
  if (to.path === '/') return homeFor(user.roles)
  if (!mayOpen(user.roles, to.path)) return homeFor(user.roles)
  return true
})
