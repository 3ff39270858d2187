import { Outlet, useLocation, useNavigate } from 'react-router';
import { Button, Layout, Menu, Space, Tag, Typography } from 'antd';
import {
  ApiOutlined,
  AuditOutlined,
  CustomerServiceOutlined,
  DashboardOutlined,
  FolderOutlined,
  NotificationOutlined,
  SendOutlined,
  StopOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useAuth } from './auth.tsx';
import { LangSwitch } from './LangSwitch.tsx';

/** The frame around every screen: side navigation by permission, the user, the language, sign out. */
export function Shell() {
  const { t } = useTranslation();
  const { me, can, logout } = useAuth();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  if (!me) return null;
  const items = [
    can('calls:handle') && { key: '/workstation', icon: <CustomerServiceOutlined />, label: t('nav.workstation') },
    can('campaigns:read') && { key: '/wallboard', icon: <DashboardOutlined />, label: t('nav.wallboard') },
    can('projects:manage') && { key: '/admin/projects', icon: <FolderOutlined />, label: t('nav.projects') },
    can('campaigns:manage') && { key: '/admin/campaigns', icon: <SendOutlined />, label: t('nav.campaigns') },
    can('dnc:read') && { key: '/admin/dnc', icon: <StopOutlined />, label: t('nav.dnc') },
    can('users:manage') && { key: '/admin/users', icon: <TeamOutlined />, label: t('nav.users') },
    can('webhooks:manage') && { key: '/admin/webhooks', icon: <NotificationOutlined />, label: t('nav.webhooks') },
    can('audit:read') && { key: '/admin/audit', icon: <AuditOutlined />, label: t('nav.audit') },
  ].filter((x) => x !== false);
  const selected = items.map((i) => i.key).find((k) => pathname.startsWith(k));
  const showSider = items.length > 1;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {showSider && (
        <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="dark" width={208}>
          <div style={{ color: '#fff', padding: '16px 20px', fontWeight: 600, fontSize: 16 }}>{t('app.name')}</div>
          <nav aria-label={t('nav.mainNav')}>
            <Menu
              theme="dark"
              mode="inline"
              selectedKeys={selected ? [selected] : []}
              items={items}
              onClick={(e) => void navigate(e.key)}
            />
          </nav>
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 16px',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Typography.Text strong>{showSider ? '' : t('app.name')}</Typography.Text>
          <Space size="middle">
            <Button type="link" href="/api/docs" icon={<ApiOutlined />} target="_blank">
              {t('nav.apiDocs')}
            </Button>
            <span data-testid="whoami">
              {me.displayName} <Tag color="blue">{t(`roles.${me.role}`)}</Tag>
            </span>
            <LangSwitch />
            <Button onClick={() => void logout().then(() => navigate('/login'))}>{t('common.logout')}</Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 16 }}>
          <main>
            <Outlet />
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
