import { App, Button, Card, Form, Input, Select, Space } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { questionnaires } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';

interface Rule {
  keywords: string[];
  title: { zh?: string; en?: string };
  body: { zh?: string; en?: string };
}

/** 知识提示: keyword rules pushed to the agent when a keyword comes up in the call's notes or transcript. */
export function KnowledgeTab({ code }: { code: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const rules = useQuery({
    queryKey: ['knowledge', code],
    queryFn: () => call(questionnaires.getKnowledge, { params: { code } }),
  });
  const save = async (v: { rules: Rule[] }) => {
    try {
      await call(questionnaires.replaceKnowledge, { params: { code }, body: { rules: v.rules } });
      void message.success(t('common.saved'));
      await qc.invalidateQueries({ queryKey: ['knowledge', code] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  if (!rules.data) return null;
  return (
    <Card size="small">
      <Form<{ rules: Rule[] }>
        layout="vertical"
        initialValues={{ rules: rules.data.rules }}
        onFinish={(v) => void save(v)}
      >
        <Form.List name="rules">
          {(rows, { add, remove }) => (
            <Space orientation="vertical" style={{ width: '100%' }}>
              {rows.map((r) => (
                <Card
                  key={r.key}
                  size="small"
                  type="inner"
                  extra={
                    <Button size="small" onClick={() => remove(r.name)}>
                      {t('common.remove')}
                    </Button>
                  }
                >
                  <Form.Item name={[r.name, 'keywords']} label={t('knowledge.keywords')} rules={[{ required: true }]}>
                    <Select mode="tags" tokenSeparators={[',', '，']} aria-label={t('knowledge.keywords')} />
                  </Form.Item>
                  <Space wrap style={{ width: '100%' }}>
                    <Form.Item
                      name={[r.name, 'title', 'zh']}
                      label={t('common.inZh', { what: t('questionnaire.title') })}
                    >
                      <Input style={{ width: 300 }} />
                    </Form.Item>
                    <Form.Item
                      name={[r.name, 'title', 'en']}
                      label={t('common.inEn', { what: t('questionnaire.title') })}
                    >
                      <Input style={{ width: 300 }} />
                    </Form.Item>
                  </Space>
                  <Form.Item name={[r.name, 'body', 'zh']} label={t('common.inZh', { what: t('knowledge.body') })}>
                    <Input.TextArea autoSize />
                  </Form.Item>
                  <Form.Item name={[r.name, 'body', 'en']} label={t('common.inEn', { what: t('knowledge.body') })}>
                    <Input.TextArea autoSize />
                  </Form.Item>
                </Card>
              ))}
              <Space>
                <Button type="dashed" onClick={() => add({ keywords: [], title: {}, body: {} })}>
                  {t('common.add')}
                </Button>
                <Button type="primary" htmlType="submit">
                  {t('common.save')}
                </Button>
              </Space>
            </Space>
          )}
        </Form.List>
      </Form>
    </Card>
  );
}
