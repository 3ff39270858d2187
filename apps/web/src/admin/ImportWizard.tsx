import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Progress,
  Radio,
  Result,
  Row,
  Select,
  Space,
  Statistic,
  Steps,
  Table,
  Tag,
  Typography,
  Upload,
} from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { imports } from '@outdial/contracts';
import { call, download } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { useLocal } from '../util.ts';
import { PageHeader } from './common.tsx';

type Preview = imports.ImportPreview;
type Encoding = 'auto' | 'utf8' | 'gb18030';

/**
 * 导入名单: upload → preview of the first rows (the server reads them as the import would) →
 * column mapping with the suggestions → progress → result with the rejected rows and why.
 */
export function ImportWizard() {
  const { code = '' } = useParams();
  const { t } = useTranslation();
  const { label } = useLocal();
  const { message } = App.useApp();
  const [step, setStep] = useState(0);
  const [file, setFile] = useState<File | null>(null);
  const [encoding, setEncoding] = useState<Encoding>('auto');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [importId, setImportId] = useState<string | null>(null);

  const form = (f: File, m?: Record<string, string>) => {
    const fd = new FormData();
    fd.append('encoding', encoding);
    if (m) fd.append('mapping', JSON.stringify(m));
    fd.append('file', f, f.name);
    return fd;
  };

  const runPreview = async (f: File, m?: Record<string, string>) => {
    setBusy(true);
    setError(null);
    try {
      const p = await call(imports.previewImport, { params: { code }, query: { rows: 10 }, body: form(f, m) });
      setPreview(p);
      setMapping(p.mapping);
      setStep(1);
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const start = async () => {
    if (!file) return;
    if (!mapping.phone) {
      setError(t('import.needPhone'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const imp = await call(imports.startImport, { params: { code }, body: form(file, mapping) });
      setImportId(imp.id);
      setStep(3);
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const progress = useQuery({
    queryKey: ['import', importId],
    enabled: !!importId,
    queryFn: () => call(imports.getImport, { params: { id: importId! } }),
    refetchInterval: (q) => (q.state.data && ['completed', 'failed'].includes(q.state.data.status) ? false : 500),
  });
  const imp = progress.data;
  useEffect(() => {
    if (imp && (imp.status === 'completed' || imp.status === 'failed')) setStep(4);
  }, [imp]);

  const fieldLabel = (key: string) => {
    const f = preview?.fields.find((x) => x.key === key);
    if (f?.custom && f.labelZh && f.labelEn) return label({ labelZh: f.labelZh, labelEn: f.labelEn });
    return t(`import.fields.${key.replace(/^phone\d$/, 'phones')}`, { defaultValue: key });
  };
  const columnOf = (col: string) => Object.entries(mapping).find(([, c]) => c === col)?.[0];
  const setColumn = (col: string, field: string | undefined) => {
    const next = Object.fromEntries(Object.entries(mapping).filter(([f, c]) => c !== col && f !== field));
    if (field) next[field] = col;
    setMapping(next);
  };

  return (
    <>
      <PageHeader
        title={`${t('import.title')} · ${code}`}
        extra={<Link to={`/admin/projects/${encodeURIComponent(code)}`}>{t('common.back')}</Link>}
      />
      <Card size="small">
        <Steps
          current={step}
          size="small"
          style={{ marginBottom: 16 }}
          items={(['upload', 'preview', 'mapping', 'progress', 'result'] as const).map((s) => ({
            title: t(`import.steps.${s}`),
          }))}
        />
        {error && (
          <Alert
            type="error"
            showIcon
            title={error}
            style={{ marginBottom: 12 }}
            role="alert"
            data-testid="import-error"
          />
        )}
        {step === 0 && (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Space>
              <Typography.Text>{t('import.encoding')}:</Typography.Text>
              <Radio.Group
                value={encoding}
                onChange={(e) => setEncoding(e.target.value as Encoding)}
                options={(['auto', 'utf8', 'gb18030'] as const).map((e) => ({
                  value: e,
                  label: t(`import.encodings.${e}`),
                }))}
              />
            </Space>
            <Upload.Dragger
              accept=".csv,.txt,.xlsx"
              multiple={false}
              showUploadList={false}
              beforeUpload={(f) => {
                setFile(f);
                void runPreview(f);
                return false;
              }}
              disabled={busy}
              data-testid="import-upload"
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              <p className="ant-upload-text">{t('import.drop')}</p>
              <p className="ant-upload-hint">{t('import.hint')}</p>
            </Upload.Dragger>
          </Space>
        )}
        {step === 1 && preview && (
          <>
            <Typography.Paragraph>
              {file?.name} ·{' '}
              {t('import.detected', { encoding: preview.encoding, format: preview.format.toUpperCase() })}
            </Typography.Paragraph>
            <Typography.Title level={2} style={{ fontSize: 15 }}>
              {t('import.firstRows')}
            </Typography.Title>
            <Table
              size="small"
              rowKey="rowNumber"
              pagination={false}
              dataSource={preview.rows}
              data-testid="import-preview"
              columns={[
                { title: t('import.row'), dataIndex: 'rowNumber', width: 70 },
                { title: t('import.fields.name'), dataIndex: 'name' },
                { title: t('import.fields.phone'), dataIndex: 'phone' },
                { title: t('import.fields.tags'), render: (_, r) => r.tags.join(', ') },
                ...Object.keys(preview.rows.find((r) => Object.keys(r.custom).length)?.custom ?? {}).map((k) => ({
                  title: fieldLabel(k),
                  render: (_: unknown, r: Preview['rows'][number]) =>
                    String((r.custom[k] as string | number | undefined) ?? ''),
                })),
                {
                  title: t('import.outcome'),
                  render: (_, r) =>
                    r.outcome === 'ok' ? (
                      <Tag color="#237804">OK</Tag>
                    ) : (
                      <Tag color="#a8071a">{t(`import.outcomes.${r.outcome}`)}</Tag>
                    ),
                },
                { title: t('import.why'), render: (_, r) => r.message ?? '' },
              ]}
            />
            <Space style={{ marginTop: 12 }}>
              <Button onClick={() => setStep(0)}>{t('common.previous')}</Button>
              <Button type="primary" onClick={() => setStep(2)} data-testid="import-next">
                {t('common.next')}
              </Button>
            </Space>
          </>
        )}
        {step === 2 && preview && (
          <>
            <Table
              size="small"
              rowKey={(c) => c}
              pagination={false}
              dataSource={preview.columns}
              data-testid="import-mapping"
              columns={[
                { title: t('import.column'), render: (_, c) => <Typography.Text strong>{c}</Typography.Text> },
                {
                  title: t('import.field'),
                  render: (_, c) => {
                    const f = columnOf(c);
                    return (
                      <Space>
                        <Select
                          aria-label={`${t('import.field')}: ${c}`}
                          style={{ width: 220 }}
                          allowClear
                          placeholder={t('import.ignore')}
                          value={f}
                          onChange={(v?: string) => setColumn(c, v)}
                          options={preview.fields.map((x) => ({
                            value: x.key,
                            label: `${fieldLabel(x.key)} (${x.key})`,
                          }))}
                        />
                        {f && preview.mapping[f] === c && <Tag color="#003eb3">{t('import.suggested')}</Tag>}
                      </Space>
                    );
                  },
                },
              ]}
            />
            <Space style={{ marginTop: 12 }}>
              <Button onClick={() => setStep(1)}>{t('common.previous')}</Button>
              <Button onClick={() => file && void runPreview(file, mapping)} loading={busy}>
                {t('import.steps.preview')}
              </Button>
              <Button type="primary" onClick={() => void start()} loading={busy} data-testid="import-run">
                {t('import.run')}
              </Button>
            </Space>
          </>
        )}
        {step === 3 && (
          <div data-testid="import-progress">
            <Typography.Paragraph>
              {imp?.status === 'merging' ? t('import.merging') : t('import.progress')}
            </Typography.Paragraph>
            <Progress
              aria-label={t('import.steps.progress')}
              percent={Math.round((imp?.progress ?? 0) * 100)}
              status="active"
            />
          </div>
        )}
        {step === 4 && imp && (
          <ImportOutcome
            imp={imp}
            onError={(e) => void message.error(e)}
            onAgain={() => {
              setStep(0);
              setPreview(null);
              setImportId(null);
              setFile(null);
            }}
          />
        )}
      </Card>
    </>
  );
}

/** The result of an import: counts, and the rejected rows with why (downloadable as CSV). */
export function ImportOutcome({
  imp,
  onAgain,
  onError,
}: {
  imp: imports.Import;
  onAgain?: () => void;
  onError: (e: string) => void;
}) {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const rejects = useQuery({
    queryKey: ['rejects', imp.id, page],
    queryFn: () => call(imports.listRejects, { params: { id: imp.id }, query: { page, pageSize: 20 } }),
  });
  if (imp.status === 'failed')
    return (
      <Result
        status="error"
        title={t('import.failed', { message: imp.error?.message ?? '' })}
        extra={onAgain && <Button onClick={onAgain}>{t('import.another')}</Button>}
      />
    );
  return (
    <div data-testid="import-result">
      <Row gutter={12} style={{ marginBottom: 12 }}>
        <Col span={4}>
          <Statistic title={t('import.imported')} value={imp.imported} data-testid="import-imported" />
        </Col>
        <Col span={4}>
          <Statistic title={t('import.dupFile')} value={imp.duplicateInFile} />
        </Col>
        <Col span={4}>
          <Statistic title={t('import.dupExisting')} value={imp.duplicateExisting} />
        </Col>
        <Col span={4}>
          <Statistic title={t('import.dnc')} value={imp.dnc} />
        </Col>
        <Col span={4}>
          <Statistic title={t('import.invalid')} value={imp.invalid} />
        </Col>
      </Row>
      <Space style={{ marginBottom: 8 }}>
        <Typography.Title level={2} style={{ fontSize: 15, margin: 0 }}>
          {t('import.rejected')}
        </Typography.Title>
        <Button
          size="small"
          onClick={() =>
            void download(imports.exportRejects, { params: { id: imp.id } }, `rejects-${imp.id}.csv`).catch(
              (e: unknown) => onError(String(e)),
            )
          }
        >
          {t('import.downloadRejects')}
        </Button>
        {onAgain && (
          <Button size="small" onClick={onAgain}>
            {t('import.another')}
          </Button>
        )}
      </Space>
      <Table
        size="small"
        rowKey="rowNumber"
        data-testid="import-rejects"
        loading={rejects.isLoading}
        dataSource={rejects.data?.items ?? []}
        pagination={{
          current: page,
          pageSize: 20,
          total: rejects.data?.total ?? 0,
          onChange: setPage,
          showSizeChanger: false,
        }}
        columns={[
          { title: t('import.row'), dataIndex: 'rowNumber', width: 70 },
          {
            title: t('import.outcome'),
            render: (_, r) => <Tag color="#a8071a">{t(`import.outcomes.${r.outcome}`)}</Tag>,
          },
          { title: t('import.why'), render: (_, r) => [r.code, r.message].filter(Boolean).join(': ') },
          { title: t('common.details'), render: (_, r) => Object.values(r.raw ?? {}).join(' | ') },
        ]}
      />
    </div>
  );
}
