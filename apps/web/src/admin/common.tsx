import type { ReactNode } from 'react';
import { Space, Typography } from 'antd';

/** A page's title with its actions on the right. */
export function PageHeader({ title, extra, sub }: { title: ReactNode; extra?: ReactNode; sub?: ReactNode }) {
  return (
    <div style={{ marginBottom: 12 }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {title}
        </Typography.Title>
        <Space wrap>{extra}</Space>
      </Space>
      {sub && <Typography.Text type="secondary">{sub}</Typography.Text>}
    </div>
  );
}
