// ECharts views of a report. SVG rendering: crisp at any zoom, and the chart is real DOM a test or a
// screen reader can find. Each chart carries an aria-label that says what it shows.
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent, DataZoomComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { LabelLayout } from 'echarts/features';
import type { EChartsCoreOption } from 'echarts/core';
import type { OperatorProfile, PowerTraceView, RawSamples } from '../../contracts/reports';

echarts.use([BarChart, LineChart, ScatterChart, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent, DataZoomComponent, SVGRenderer, LabelLayout]);

// Read-only access for the browser test (and anyone debugging in the console): it reads a chart's
// option back with npubenchEcharts.getInstanceByDom(el).getOption(). Exposes no data the page does not show.
(window as unknown as { npubenchEcharts?: { getInstanceByDom: typeof echarts.getInstanceByDom } }).npubenchEcharts = { getInstanceByDom: echarts.getInstanceByDom };

export function EChart({ option, label, height = 320, testId }: { option: EChartsCoreOption; label: string; height?: number; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, undefined, { renderer: 'svg' });
    // The page's real font stack, not 'inherit': ECharts measures text with it to lay out legends, axis
    // names and labels, and a measurement in another font is what made legend entries overlap.
    chart.setOption({ animation: false, textStyle: { fontFamily: getComputedStyle(ref.current).fontFamily }, ...option });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option]);
  return <div ref={ref} className="chart" role="img" aria-label={label} style={{ height }} data-testid={testId} />;
}


/** Latency of each query as the harness defines it (src/harness/report-format.ts), in ns, per run. */
export function latenciesPerRun(raw: RawSamples): number[][] {
  return raw.runs.map((run) =>
    run.queries.map((q) => {
      if (raw.scenario === 'server') return q[2]! - q[0]!;
      if (raw.scenario === 'offline') return q[1]!;
      return q[1]! - q[0]!;
    }),
  );
}

const toMs = (ns: number) => ns / 1e6;

export function LatencyHistogram({ latenciesNs, percentiles }: { latenciesNs: number[]; percentiles: { label: string; ns: number }[] }) {
  const sorted = [...latenciesNs].sort((a, b) => a - b);
  const at = (q: number) => toMs(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0);
  const lo = toMs(sorted[0] ?? 0);
  // A few stalls of many times the median would squeeze every other bar into one: the range ends at
  // twice the p99 and the last bar counts everything beyond ("≥").
  const hi = Math.min(toMs(sorted.at(-1) ?? 1), Math.max(at(0.99) * 2, at(0.5) * 3));
  const bins = 40;
  const width = (hi - lo) / bins || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const ns of sorted) counts[Math.min(bins - 1, Math.max(0, Math.floor((toMs(ns) - lo) / width)))]! += 1;
  const data = counts.map((c, i) => [lo + (i + 0.5) * width, c]);
  const option: EChartsCoreOption = {
    grid: { left: 50, right: 20, top: 30, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'latency (ms); last bar: everything slower', nameLocation: 'middle', nameGap: 26, min: lo, max: lo + bins * width, axisLabel: { formatter: (v: number) => v.toPrecision(3) } },
    yAxis: { type: 'value', name: 'queries' },
    series: [
      {
        type: 'bar',
        name: 'queries',
        barWidth: '90%',
        data,
        itemStyle: { color: '#2b6cb0' },
        markLine: {
          symbol: 'none',
          label: { formatter: '{b}', position: 'end' },
          lineStyle: { color: '#c05621', type: 'dashed' },
          data: percentiles.map((p) => ({ name: p.label, xAxis: toMs(p.ns) })),
        },
      },
    ],
  };
  return <EChart option={option} label={`Latency histogram of ${latenciesNs.length} queries with ${percentiles.map((p) => p.label).join(', ')} marked`} testId="chart-latency-histogram" />;
}

/** Every query's latency in issue order: warm-up and thermal drift show as a trend. */
export function LatencyOverTime({ runs }: { runs: number[][] }) {
  const MAX_POINTS = 4000;
  const series = runs.map((lat, r) => {
    const stride = Math.max(1, Math.ceil(lat.length / MAX_POINTS));
    const data: [number, number][] = [];
    for (let i = 0; i < lat.length; i += stride) data.push([i, toMs(lat[i]!)]);
    return { type: 'scatter', name: `run ${r + 1}`, symbolSize: 3, large: true, data };
  });
  const option: EChartsCoreOption = {
    grid: { left: 50, right: 20, top: 30, bottom: 60 },
    legend: { top: 0 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', name: 'query (issue order)', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', name: 'latency (ms)', scale: true },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 8 }],
    series,
  };
  return <EChart option={option} label={`Latency of every query over ${runs.length} run(s), in issue order`} testId="chart-latency-over-time" />;
}

export function PowerTrace({ trace }: { trace: PowerTraceView }) {
  const run = trace.runs[0];
  if (!run) return null;
  const option: EChartsCoreOption = {
    grid: { left: 50, right: 20, top: 30, bottom: 40 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'time (ms)', nameLocation: 'middle', nameGap: 26 },
    // Not drawn at x = 0: the trace starts before the measured window, at negative times.
    yAxis: { type: 'value', name: 'power (W)', scale: true, axisLine: { onZero: false } },
    series: [
      // itemStyle carries the colour too: the legend draws a series' item colour, not its line's.
      { type: 'line', name: 'max W', showSymbol: false, itemStyle: { color: '#9b2c2c' }, lineStyle: { width: 1, color: '#9b2c2c' }, data: run.points.map((p) => [p[0], p[3]]) },
      {
        type: 'line',
        name: 'mean W',
        showSymbol: false,
        // On top: where a bucket holds one sample, min, mean and max coincide.
        z: 3,
        itemStyle: { color: '#2b6cb0' },
        lineStyle: { width: 2, color: '#2b6cb0' },
        data: run.points.map((p) => [p[0], p[2]]),
        markArea: { itemStyle: { color: 'rgba(72, 187, 120, 0.15)' }, label: { show: true, position: 'insideTop', formatter: 'measured window' }, data: [[{ xAxis: run.windowMs[0] }, { xAxis: run.windowMs[1] }]] },
      },
      { type: 'line', name: 'min W', showSymbol: false, itemStyle: { color: '#718096' }, lineStyle: { width: 1, color: '#718096' }, data: run.points.map((p) => [p[0], p[1]]) },
    ],
  };
  return <EChart option={option} label="Power trace with the measured window shaded" testId="chart-power" />;
}

export function ProfileBars({ profile }: { profile: OperatorProfile }) {
  const top = [...profile.byOpType].sort((a, b) => b.meanUsPerIteration - a.meanUsPerIteration).slice(0, 15).reverse();
  // Names as long as com.microsoft.SkipSimplifiedLayerNormalization: the grid grows to hold them
  // (outerBounds), and on a narrow screen they wrap rather than take the bars' room.
  const labelWidth = Math.max(120, Math.min(360, window.innerWidth * 0.4));
  const option: EChartsCoreOption = {
    grid: { left: 8, right: 30, top: 10, bottom: 40, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: 'µs per inference', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'category', data: top.map((o) => `${o.opType} (${o.nodes})`), axisLabel: { width: labelWidth, overflow: 'breakAll', interval: 0 } },
    series: [{ type: 'bar', data: top.map((o) => Number(o.meanUsPerIteration.toFixed(2))), itemStyle: { color: '#6b46c1' } }],
  };
  return <EChart option={option} label="Kernel time per operator type" height={Math.max(200, top.length * 26 + 60)} testId="chart-profile" />;
}

export interface ParetoPoint {
  label: string;
  latencyMs: number;
  energyMj: number | null;
  accuracy: number | null;
}

/** Points no other point beats on every axis (lower latency, lower energy, higher accuracy). */
export function paretoFrontier(points: ParetoPoint[], axes: ('latency' | 'energy' | 'accuracy')[]): Set<ParetoPoint> {
  const better = (a: ParetoPoint, b: ParetoPoint) => {
    let strictly = false;
    for (const axis of axes) {
      const [x, y] = axis === 'latency' ? [a.latencyMs, b.latencyMs] : axis === 'energy' ? [a.energyMj!, b.energyMj!] : [-a.accuracy!, -b.accuracy!];
      if (x > y) return false;
      if (x < y) strictly = true;
    }
    return strictly;
  };
  return new Set(points.filter((p) => !points.some((q) => q !== p && better(q, p))));
}

/**
 * Latency against energy per inference (or accuracy, once reports carry it), frontier highlighted.
 * Results without energy cannot be placed on an energy axis; the caller says how many were left out.
 */
export function ParetoChart({ points }: { points: ParetoPoint[] }) {
  const withAccuracy = points.filter((p) => p.accuracy !== null);
  const useAccuracy = withAccuracy.length >= 2;
  const usable = useAccuracy ? withAccuracy : points.filter((p) => p.energyMj !== null);
  const axes: ('latency' | 'energy' | 'accuracy')[] = useAccuracy ? ['latency', 'accuracy', ...(usable.every((p) => p.energyMj !== null) ? (['energy'] as const) : [])] : ['latency', 'energy'];
  const frontier = paretoFrontier(usable, axes);
  const y = (p: ParetoPoint) => (useAccuracy ? p.accuracy! : p.energyMj!);
  const frontierLine = [...frontier].sort((a, b) => a.latencyMs - b.latencyMs).map((p) => [p.latencyMs, y(p)]);
  // Each frontier point names its result; labels point inwards so none runs off the chart's edge.
  const latencies = usable.map((p) => p.latencyMs);
  const middle = (Math.min(...latencies) + Math.max(...latencies)) / 2;
  const option: EChartsCoreOption = {
    grid: { left: 16, right: 16, top: 40, bottom: 16, outerBoundsMode: 'same', outerBoundsContain: 'all' },
    legend: { top: 0, left: 'center', data: ['certified results', 'Pareto frontier'] },
    tooltip: { trigger: 'item', formatter: (p: { data: { name: string } }) => p.data.name },
    xAxis: { type: 'value', name: 'latency (ms)', nameLocation: 'middle', nameGap: 26, scale: true },
    yAxis: { type: 'value', name: useAccuracy ? 'accuracy' : 'energy / inference (mJ)', nameLocation: 'middle', nameRotate: 90, nameGap: 40, scale: true },
    series: [
      { type: 'scatter', name: 'certified results', symbolSize: 9, itemStyle: { color: '#a0aec0' }, data: usable.filter((p) => !frontier.has(p)).map((p) => ({ name: p.label, value: [p.latencyMs, y(p)] })) },
      {
        type: 'scatter',
        name: 'Pareto frontier',
        symbolSize: 12,
        itemStyle: { color: '#c05621' },
        // LabelLayout (registered above) drops the labels that would overlap another.
        label: { show: true, formatter: '{b}', fontSize: 11, color: '#1a202c', distance: 4, backgroundColor: 'rgba(255, 255, 255, 0.85)', padding: [1, 3] },
        // Raised above the point: the dashed frontier runs through it horizontally.
        labelLayout: { hideOverlap: true, dy: -10 },
        data: [...frontier].map((p) => ({ name: p.label, value: [p.latencyMs, y(p)], label: { position: p.latencyMs > middle ? 'left' : 'right' } })),
      },
      { type: 'line', name: 'frontier', showSymbol: false, lineStyle: { color: '#c05621', type: 'dashed' }, data: frontierLine, tooltip: { show: false }, silent: true },
    ],
  };
  return <EChart option={option} label={`Pareto view: latency against ${useAccuracy ? 'accuracy' : 'energy per inference'}, ${frontier.size} results on the frontier`} testId="chart-pareto" />;
}
