// Lint gate (npm run lint, part of npm test): Next's rules (React, hooks, a11y, core web vitals),
// typescript-eslint's type-checked rules, and drizzle's guard against update/delete without where.
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import tseslint from "typescript-eslint";
import drizzle from "eslint-plugin-drizzle";

export default defineConfig([
  globalIgnores([
    ".next/**",
    ".next-*/**",
    "node_modules/**",
    ".data/**",
    ".test-data/**",
    ".test-results/**",
    "test-results/**",
    ".cache/**",
    "db/migrations/**",
    "next-env.d.ts",
  ]),
  ...nextVitals,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { drizzle },
    rules: {
      "drizzle/enforce-delete-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "drizzle/enforce-update-with-where": ["error", { drizzleObjectName: ["db", "tx"] }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // React's rules only where React runs: a test's `use(…)` or a script's helper is not a hook.
    files: ["server/**", "db/**", "lib/**", "scripts/**", "test/**", "e2e/**"],
    ignores: ["**/*.tsx"],
    rules: Object.fromEntries(
      Object.keys(nextVitals.find((c) => c.plugins?.["react-hooks"])?.plugins["react-hooks"].rules ?? {}).map((r) => [
        `react-hooks/${r}`,
        "off",
      ]),
    ),
  },
  {
    // Code that reaches the browser (client components, and the modules of components/ and lib/ they
    // use) must not pull server or database modules into the bundle: `import type` only. In app/,
    // only Next's server entry files (pages, layouts, route handlers) may use them.
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}", "lib/**/*.{ts,tsx}"],
    ignores: ["app/**/page.tsx", "app/**/layout.tsx", "app/**/route.ts", "**/*.test.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(@/|(\\.\\./)+)(server|db)(/|$)",
              allowTypeImports: true,
              message: "Browser code may import server/ and db/ only with `import type`; share enums and schemas through lib/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
]);
