import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { AuthProvider, homeOf, useAuth } from './auth.tsx';
import { LoginPage } from './pages/Login.tsx';
import { Shell } from './Shell.tsx';

// The workstation, the wallboard and the admin console are separate chunks, loaded on first visit.
const Workstation = lazy(() => import('./workstation/Workstation.tsx'));
const Wallboard = lazy(() => import('./wallboard/Wallboard.tsx'));
const Admin = lazy(() => import('./admin/Admin.tsx'));

const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 10_000, retry: 1, refetchOnWindowFocus: false } },
});

function Loading() {
  const { t } = useTranslation();
  return (
    <div style={{ padding: 48, textAlign: 'center' }}>
      <Spin />
      <div>{t('common.loading')}</div>
    </div>
  );
}

function RequireAuth({ children, permission }: { children: ReactNode; permission?: string }) {
  const { me, loading, can } = useAuth();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (permission && !can(permission)) return <Navigate to={homeOf(me)} replace />;
  return <>{children}</>;
}

function Home() {
  const { me, loading } = useAuth();
  if (loading) return <Loading />;
  return <Navigate to={me ? homeOf(me) : '/login'} replace />;
}

export function App() {
  const { i18n } = useTranslation();
  const zh = i18n.language === 'zh-CN';
  dayjs.locale(zh ? 'zh-cn' : 'en');
  return (
    <ConfigProvider
      locale={zh ? zhCN : enUS}
      theme={{
        // Darker than antd's defaults so that secondary text, links and placeholders keep a 4.5:1 contrast (WCAG AA).
        token: {
          colorPrimary: '#0958d9',
          colorLink: '#0958d9',
          colorError: '#cf1322',
          colorTextSecondary: 'rgba(0, 0, 0, 0.68)',
          colorTextDescription: 'rgba(0, 0, 0, 0.68)',
          colorTextTertiary: 'rgba(0, 0, 0, 0.62)',
          colorTextPlaceholder: 'rgba(0, 0, 0, 0.58)',
          colorTextDisabled: 'rgba(0, 0, 0, 0.6)',
          colorTextQuaternary: 'rgba(0, 0, 0, 0.6)',
          borderRadius: 6,
        },
      }}
    >
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <AuthProvider>
            <BrowserRouter>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route
                  element={
                    <RequireAuth>
                      <Shell />
                    </RequireAuth>
                  }
                >
                  <Route
                    path="/workstation"
                    element={
                      <RequireAuth permission="calls:handle">
                        <Suspense fallback={<Loading />}>
                          <Workstation />
                        </Suspense>
                      </RequireAuth>
                    }
                  />
                  <Route
                    path="/wallboard"
                    element={
                      <RequireAuth permission="campaigns:read">
                        <Suspense fallback={<Loading />}>
                          <Wallboard />
                        </Suspense>
                      </RequireAuth>
                    }
                  />
                  <Route
                    path="/admin/*"
                    element={
                      <RequireAuth permission="projects:read">
                        <Suspense fallback={<Loading />}>
                          <Admin />
                        </Suspense>
                      </RequireAuth>
                    }
                  />
                </Route>
                <Route path="*" element={<Home />} />
              </Routes>
            </BrowserRouter>
          </AuthProvider>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
