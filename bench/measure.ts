/** Small statistics and samplers for the benchmark. */
export const median = (values: number[]) => quantile(values, 0.5);

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (
    (sorted[low] as number) +
    ((sorted[high] as number) - (sorted[low] as number)) * (position - low)
  );
}

/** Runs `work` while sampling this process's RSS every 20 ms; returns seconds and peak MiB. */
export async function timed<T>(work: () => Promise<T>) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  try {
    const result = await work();
    return { result, seconds: (performance.now() - started) / 1000, peakRssMb: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

export const summary = (values: number[], digits = 2) => ({
  median: Number(median(values).toFixed(digits)),
  min: Number(Math.min(...values).toFixed(digits)),
  max: Number(Math.max(...values).toFixed(digits)),
});

export const show = (s: { median: number; min: number; max: number }) =>
  `${s.median} (${s.min}–${s.max})`;
