import { createRouter, createWebHistory } from 'vue-router'
import { needsLogin } from './app'

export const router = createRouter({
  history: createWebHistory('/app/'),
  routes: [
    { path: '/', redirect: '/tasks' },
    { path: '/login', component: () => import('./views/LoginView.vue'), meta: { bare: true } },
    { path: '/tasks', component: () => import('./views/TasksView.vue'), meta: { title: '我的任务' } },
    { path: '/cases', component: () => import('./views/CasesView.vue'), meta: { title: '案件' } },
    { path: '/cases/new', component: () => import('./views/NewCaseView.vue'), meta: { title: '新建案件', back: true } },
    { path: '/cases/:id', component: () => import('./views/CaseView.vue'), meta: { title: '案件', back: true }, props: true },
    { path: '/cases/:caseId/documents/:documentId/sign', component: () => import('./views/SignDocumentView.vue'), meta: { title: '文书签名', back: true }, props: true },
    { path: '/hazards', component: () => import('./views/HazardsView.vue'), meta: { title: '隐患' } },
    { path: '/hazards/new', component: () => import('./views/NewHazardView.vue'), meta: { title: '登记隐患', back: true } },
    { path: '/hazards/:id', component: () => import('./views/HazardView.vue'), meta: { title: '隐患', back: true }, props: true },
    { path: '/gas', component: () => import('./views/GasView.vue'), meta: { title: '燃气报警' } },
    { path: '/overload', component: () => import('./views/OverloadView.vue'), meta: { title: '超限检测', back: true } },
    { path: '/overload/:id', component: () => import('./views/InspectionView.vue'), meta: { title: '超限确认', back: true }, props: true },
    { path: '/queue', component: () => import('./views/QueueView.vue'), meta: { title: '同步队列' } },
    { path: '/me', component: () => import('./views/MeView.vue'), meta: { title: '我的' } },
  ],
})

router.beforeEach((to) => {
  if (needsLogin.value && to.path !== '/login') return { path: '/login', query: { next: to.fullPath } }
})
