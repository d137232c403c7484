import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "@/lib/safe-redirect";

/** /login?callbackUrl=… sends the browser there after sign-in: only paths of this origin. */
const origin = "https://portal.example.com";

describe("the login callback", () => {
  it.each([
    "/\\evil.example/",
    "/\\/evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "//evil.example",
    "///evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "https://evil.example/instances",
    "http://portal.example.com/instances", // another origin: the scheme differs
    "https://portal.example.com.evil.example/",
    "https://portal.example.com@evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:evil.example",
  ])("sends %j to / instead", (target) => {
    expect(safeCallbackPath(target, origin)).toBe("/");
  });

  it.each([
    ["/instances/123", "/instances/123"],
    ["/instances?state=running#top", "/instances?state=running#top"],
    ["https://portal.example.com/events", "/events"],
    ["instances", "/instances"],
    ["/a/../b", "/b"],
  ])("keeps %j as %j", (target, path) => {
    expect(safeCallbackPath(target, origin)).toBe(path);
  });

  it("goes home without a target", () => {
    expect(safeCallbackPath(null, origin)).toBe("/");
    expect(safeCallbackPath("", origin)).toBe("/");
  });
});
