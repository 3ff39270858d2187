import { Segmented } from 'antd';
import { useTranslation } from 'react-i18next';
import { setLang, type Lang } from './i18n/index.ts';

/** 中文 / EN: the choice is kept in the browser (localStorage) and applies at once. */
export function LangSwitch() {
  const { i18n, t } = useTranslation();
  return (
    <Segmented<Lang>
      aria-label={t('common.language')}
      data-testid="lang-switch"
      size="small"
      value={i18n.language === 'en' ? 'en' : 'zh-CN'}
      onChange={(v) => setLang(v)}
      options={[
        { label: '中文', value: 'zh-CN' },
        { label: 'EN', value: 'en' },
      ]}
    />
  );
}
