"use client";
import { createContext, useContext } from "react";
import type { Caller } from "@/server/authz/caller";

export type SessionCaller = Caller & { permissions: string[] };
const CallerContext = createContext<SessionCaller | null>(null);

export function CallerProvider({ caller, children }: { caller: SessionCaller; children: React.ReactNode }) {
  return <CallerContext.Provider value={caller}>{children}</CallerContext.Provider>;
}

/** The signed-in caller, for showing or hiding UI. The server decides what is allowed. */
export function useCaller(): SessionCaller {
  const c = useContext(CallerContext);
  if (!c) throw new Error("useCaller outside the portal layout");
  return c;
}

export const useCan = (permission: string) => useCaller().permissions.includes(permission);
