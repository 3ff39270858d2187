import ReactEChartsCore from 'echarts-for-react/esm/core';
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { campaigns } from '@outdial/contracts';
import { call } from '../api/client.ts';

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** Dials, person answers and abandons over the last hours (ECharts, tree-shaken core). */
export function SeriesChart({ campaignId, hours = 3 }: { campaignId: string; hours?: number }) {
  const { t } = useTranslation();
  const series = useQuery({
    queryKey: ['series', campaignId, hours],
    queryFn: () => call(campaigns.getCampaignSeries, { params: { id: campaignId }, query: { hours } }),
    refetchInterval: 15_000,
  });
  const buckets = series.data?.buckets ?? [];
  const label = (d: string | Date) => {
    const x = new Date(d);
    return `${String(x.getHours()).padStart(2, '0')}:${String(x.getMinutes()).padStart(2, '0')}`;
  };
  const option = {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [t('wallboard.chartDials'), t('wallboard.chartConnects'), t('wallboard.chartAbandons')] },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: buckets.map((b) => label(b.start)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('wallboard.chartDials'), type: 'line', smooth: true, data: buckets.map((b) => b.dials) },
      { name: t('wallboard.chartConnects'), type: 'line', smooth: true, data: buckets.map((b) => b.answered) },
      {
        name: t('wallboard.chartAbandons'),
        type: 'line',
        smooth: true,
        data: buckets.map((b) => b.abandons),
        color: '#cf1322',
      },
    ],
  };
  return <ReactEChartsCore echarts={echarts} option={option} notMerge style={{ height: 240 }} />;
}
