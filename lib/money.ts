/**
 * Exact decimal strings rounded for display (half away from zero), with BigInt: money never passes
 * through a float, not even to be printed. "12.345" → "12.35"; "-0.004" → "0.00".
 */
export function roundDecimal(value: string, digits = 2): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m) return value;
  const [, sign, int = "", frac = ""] = m;
  const scaled = BigInt((int || "0") + frac.padEnd(digits + 1, "0").slice(0, digits + 1));
  const rounded = (scaled + 5n) / 10n;
  const s = rounded.toString().padStart(digits + 1, "0");
  const out = digits ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
  return sign && rounded !== 0n ? `-${out}` : out;
}

/** "1234.5", "EUR" → "1,234.50 EUR" (grouped, two decimals, exact). */
export function formatMoney(value: string, currency: string): string {
  const r = roundDecimal(value, 2);
  const neg = r.startsWith("-");
  const [i, f] = r.replace("-", "").split(".");
  return `${neg ? "−" : ""}${i!.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${f} ${currency}`;
}

/**
 * A balance: like formatMoney, but one that is not zero and rounds to 0.00 keeps its first
 * significant digits ("-0.0012" → "−0.0012 EUR"), so a small debt never reads as nothing owed.
 */
export function formatBalance(value: string, currency: string): string {
  const exact = roundDecimal(value, 9).replace(/\.?0+$/, "");
  if (roundDecimal(value, 2) !== "0.00" || exact === "0") return formatMoney(value, currency);
  return `${exact.startsWith("-") ? "−" : ""}${exact.replace("-", "")} ${currency}`;
}
