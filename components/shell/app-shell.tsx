"use client";
import { BalanceBanner } from "@/components/billing/balance-banner";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { Toaster } from "@/components/resource/toast";
import { cn } from "@/components/ui/cn";
import { AlertBell } from "./alert-bell";
import { CallerProvider, type SessionCaller } from "./caller-context";
import { LiveUpdates } from "./live-updates";
import { visibleNavigation } from "./nav";

const roleLabel = { root_admin: "Root admin", domain_admin: "Domain admin", user: "User" } as const;

export function AppShell({ caller, children }: { caller: SessionCaller; children: React.ReactNode }) {
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);
  const sections = visibleNavigation(caller.permissions);
  const isActive = (href: string) => (href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`));
  return (
    <CallerProvider caller={caller}>
      <LiveUpdates />
      <div className="min-h-screen lg:flex">
        <aside
          className={cn(
            "fixed inset-y-0 left-0 z-30 w-60 transform border-r border-slate-200 bg-slate-900 text-slate-200 transition-transform lg:static lg:translate-x-0",
            menuOpen ? "translate-x-0" : "-translate-x-full",
          )}
        >
          <div className="flex h-14 items-center gap-2 px-5 text-lg font-semibold text-white">
            <span className="inline-block size-6 rounded bg-gradient-to-br from-sky-400 to-brand-600" aria-hidden="true" />
            Stratus
          </div>
          <nav aria-label="Main" className="space-y-5 px-3 py-2">
            {sections.map((s, i) => (
              <div key={s.title ?? i}>
                {s.title && <p className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-400">{s.title}</p>}
                <ul className="space-y-0.5">
                  {s.items.map((item) => (
                    <li key={item.href}>
                      <Link
                        href={item.href}
                        onClick={() => setMenuOpen(false)}
                        aria-current={isActive(item.href) ? "page" : undefined}
                        className={cn(
                          "block rounded-md px-2 py-1.5 text-sm",
                          isActive(item.href)
                            ? "bg-slate-800 font-medium text-white"
                            : "text-slate-300 hover:bg-slate-800 hover:text-white",
                        )}
                      >
                        {item.label}
                      </Link>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </nav>
        </aside>
        {menuOpen && <div className="fixed inset-0 z-20 bg-slate-900/40 lg:hidden" onClick={() => setMenuOpen(false)} />}
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="flex h-14 items-center justify-between border-b border-slate-200 bg-white px-4">
            <button
              type="button"
              className="rounded p-1.5 text-slate-600 hover:bg-slate-100 lg:hidden"
              aria-label="Open menu"
              onClick={() => setMenuOpen(true)}
            >
              ☰
            </button>
            <div className="ml-auto flex items-center gap-3 text-sm">
              <AlertBell />
              <span className="hidden text-slate-600 sm:inline">
                {caller.accountName} · {roleLabel[caller.accountType]}
              </span>
              <Link href="/settings" className="font-medium text-slate-800 hover:underline" data-testid="current-user">
                {caller.username}
              </Link>
              <button
                type="button"
                className="rounded-md px-2 py-1 text-slate-600 hover:bg-slate-100"
                onClick={() => void signOut({ callbackUrl: "/login" })}
              >
                Sign out
              </button>
            </div>
          </header>
          <main className="mx-auto w-full max-w-7xl min-w-0 flex-1 p-4 sm:p-6">
            <BalanceBanner />
            {children}
          </main>
          <Toaster />
        </div>
      </div>
    </CallerProvider>
  );
}
