"use client";
import { type QueryKey, useMutation, useQueryClient } from "@tanstack/react-query";
import { errorMessage, type RouterOutputs } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { useTRPC } from "@/lib/trpc/client";

/** A router of the API ("pod", "host"…): what a change invalidates. */
export type RouterKey = keyof RouterOutputs;

/** Invalidates every query of these routers (their lists, counts and details). */
export function useInvalidate(keys: readonly RouterKey[]) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all(
      keys.map((k) => queryClient.invalidateQueries({ queryKey: (trpc[k] as unknown as { pathKey: () => QueryKey }).pathKey() })),
    );
}

/**
 * A change made from a page: runs `run`, then refetches what it changed (`invalidate`) and says so in
 * one toast (`success`); a refusal becomes an error toast unless the caller shows it itself
 * (`quietErrors`, for dialogs that keep the error beside the fields or in the dialog).
 */
export function useResourceMutation<TVars, TData>({
  run,
  invalidate,
  success,
  quietErrors,
  onDone,
}: {
  run: (vars: TVars) => Promise<TData>;
  invalidate: readonly RouterKey[];
  success?: (data: TData, vars: TVars) => string | null;
  quietErrors?: boolean;
  onDone?: (data: TData, vars: TVars) => void;
}) {
  const refresh = useInvalidate(invalidate);
  return useMutation({
    mutationFn: run,
    onSuccess: async (data, vars) => {
      await refresh();
      const message = success?.(data, vars);
      if (message) toast(message);
      onDone?.(data, vars);
    },
    onError: (err) => {
      if (!quietErrors) toast(errorMessage(err), "error");
    },
  });
}
