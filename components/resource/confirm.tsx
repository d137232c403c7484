"use client";
import { useState } from "react";
import { errorMessage } from "@/components/resource/router-types";
import { ConfirmDialog } from "@/components/ui/dialog";

export interface ConfirmRequest {
  title: string;
  message: React.ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Runs on confirm; the dialog closes when it resolves and shows its error when it rejects. */
  run: () => Promise<unknown>;
}

/**
 * One confirm dialog per page: `confirm.ask({ … run })` from a row action; `confirm.dialog` in the
 * page. A refusal stays in the dialog (e.g. "still has 2 pods; delete them first").
 */
export function useConfirm() {
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ask = (r: ConfirmRequest) => {
    setError(null);
    setRequest(r);
  };
  const confirm = async () => {
    if (!request) return;
    setBusy(true);
    setError(null);
    try {
      await request.run();
      setRequest(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const dialog = (
    <ConfirmDialog
      open={request !== null}
      onClose={() => !busy && setRequest(null)}
      title={request?.title ?? ""}
      message={request?.message}
      confirmLabel={request?.confirmLabel}
      danger={request?.danger}
      loading={busy}
      error={error}
      onConfirm={() => void confirm()}
    />
  );
  return { ask, dialog };
}

/** The usual delete question: names the object and, in `hint`, what must go first. */
export function deletion(noun: string, name: string, run: () => Promise<unknown>, hint?: string): ConfirmRequest {
  return {
    title: `Delete ${noun} ${name}?`,
    message: (
      <>
        Delete the {noun} <strong>{name}</strong>? This cannot be undone.{hint ? ` ${hint}` : ""}
      </>
    ),
    confirmLabel: `Delete ${noun}`,
    danger: true,
    run,
  };
}
