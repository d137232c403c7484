import { describe, expect, it } from "vitest";
import { formatBalance, formatMoney, roundDecimal } from "./money";

describe("exact money display", () => {
  it("rounds half away from zero without floats", () => {
    expect(roundDecimal("12.345")).toBe("12.35");
    expect(roundDecimal("12.344999999")).toBe("12.34");
    expect(roundDecimal("-12.345")).toBe("-12.35");
    expect(roundDecimal("-0.004")).toBe("0.00");
    expect(roundDecimal("0.1")).toBe("0.10");
    expect(roundDecimal("9999999999999999999.995")).toBe("10000000000000000000.00");
    expect(roundDecimal("3")).toBe("3.00");
  });
  it("groups thousands", () => {
    expect(formatMoney("1234567.891", "EUR")).toBe("1,234,567.89 EUR");
    expect(formatMoney("-0.5", "USD")).toBe("−0.50 USD");
  });
  it("shows a balance that rounds to 0.00 with its significant digits, so a small debt is visible", () => {
    expect(formatBalance("-0.0012", "EUR")).toBe("−0.0012 EUR");
    expect(formatBalance("0.004", "EUR")).toBe("0.004 EUR");
    expect(formatBalance("-0.000000000", "EUR")).toBe("0.00 EUR");
    expect(formatBalance("0", "EUR")).toBe("0.00 EUR");
    expect(formatBalance("-0.0000000001", "EUR")).toBe("0.00 EUR");
    expect(formatBalance("-12.345", "EUR")).toBe("−12.35 EUR");
    expect(formatBalance("1234.5", "EUR")).toBe("1,234.50 EUR");
  });
});
