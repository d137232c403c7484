import { cn } from "./cn";

const tones = {
  green: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  gray: "bg-slate-100 text-slate-600 ring-slate-500/20",
  red: "bg-red-50 text-red-700 ring-red-600/20",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/20",
  blue: "bg-brand-50 text-brand-700 ring-brand-600/20",
} as const;
export type Tone = keyof typeof tones;

/** Tones for the states shared across resources; anything unknown is gray. */
const stateTones: Record<string, Tone> = {
  enabled: "green",
  active: "green",
  up: "green",
  running: "green",
  disabled: "gray",
  inactive: "gray",
  stopped: "gray",
  locked: "red",
  down: "red",
  error: "red",
  maintenance: "amber",
  removing: "amber",
  disconnected: "amber",
  warn: "amber",
  info: "blue",
};

export function Badge({ tone = "gray", children, className }: { tone?: Tone; children: React.ReactNode; className?: string }) {
  return (
    <span
      className={cn(
        "inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset",
        tones[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <Badge tone={stateTones[state.toLowerCase()] ?? "gray"}>{state.replace(/_/g, " ")}</Badge>;
}
