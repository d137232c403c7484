import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WebAssembly and must be loaded from node_modules, not bundled (DESIGN.md, pitfalls).
  serverExternalPackages: ["@electric-sql/pglite", "postgres"],
  poweredByHeader: false,
  // Lets a second build live beside the main one (e.g. NEXT_DIST_DIR=.next-e2e); serve with the same value.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
};

export default nextConfig;
