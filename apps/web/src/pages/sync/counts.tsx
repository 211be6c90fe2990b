import type { Counts } from "../../api.ts";

const COUNT_KEYS: (keyof Counts)[] = [
  "created",
  "updated",
  "restored",
  "deleted",
  "skipped",
  "unchanged",
  "failed",
];

export const CountsList = ({ counts }: { counts: Counts }) => (
  <dl class="counts">
    {COUNT_KEYS.map((key) => (
      <div>
        <dt>{key}</dt>
        <dd data-testid={`count-${key}`}>{counts[key].toLocaleString()}</dd>
      </div>
    ))}
  </dl>
);

export const Outcome = ({ outcome }: { outcome: string }) => (
  <span class={`pill ${outcome}`} data-testid="outcome">
    {outcome.replaceAll("_", " ")}
  </span>
);
