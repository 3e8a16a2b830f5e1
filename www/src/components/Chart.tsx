// A small uPlot chart: created once, fed new data with setData (no React
// re-render of the plot, no re-creation), resized with its container.
import { memo, useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Draw as bars instead of a line. */
  bars?: boolean;
}

interface ChartProps {
  title: string;
  /** x values, then one array per series (null: no value there). */
  data: (number | null)[][];
  series: ChartSeries[];
  unit?: string;
  /** x axis: seconds ago ('time') or iteration numbers ('index'). */
  x?: 'time' | 'index';
  height?: number;
  /** Fixed y range (e.g. 0–100 for percentages); otherwise from the data, from 0. */
  yMax?: number;
  testId?: string;
}

function fmt(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const abs = Math.abs(v);
  const s = abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${s}${unit ? ` ${unit}` : ''}`;
}

function ChartView({ title, data, series, unit = '', x = 'time', height = 90, yMax, testId }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const bars = uPlot.paths.bars?.({ size: [0.7, 24] });
    const opts: Options = {
      width: Math.max(120, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { show: true, points: { size: 5 }, drag: { x: false, y: false } },
      scales: {
        x: { time: false },
        y: { range: (_u, _min, max) => [0, yMax ?? (max > 0 ? max * 1.15 : 1)] },
      },
      axes: [
        {
          stroke: '#7a8190',
          grid: { show: false },
          ticks: { size: 3 },
          size: 22,
          font: '10px system-ui, sans-serif',
          values: (_u, vals) => vals.map((v) => (x === 'time' ? `${Math.round(v)}s` : String(v))),
        },
        { stroke: '#7a8190', grid: { stroke: '#eef0f4', width: 1 }, ticks: { size: 3 }, size: 38, font: '10px system-ui, sans-serif' },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          fill: s.bars ? `${s.color}99` : `${s.color}22`,
          spanGaps: false,
          points: { show: false },
          ...(s.bars && bars ? { paths: bars } : {}),
        })),
      ],
    };
    const u = new uPlot(opts, data as AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(120, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The plot is built once per series layout; data flows in through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series.map((s) => s.label + s.color).join('|'), height, yMax, x]);

  useEffect(() => {
    plot.current?.setData(data as AlignedData);
  }, [data]);

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        <span className="chart__title">{title}</span>
        <span className="chart__legend">
          {series.map((s, k) => {
            const ys = data[k + 1] ?? [];
            const last = ys.length ? ys[ys.length - 1] : null;
            return (
              <span key={s.label} className="chart__value" data-series={s.label}>
                <i style={{ background: s.color }} />
                {s.label} <b>{fmt(last, unit)}</b>
              </span>
            );
          })}
        </span>
      </figcaption>
      <div ref={host} className="chart__plot" />
    </figure>
  );
}

export const Chart = memo(ChartView);
