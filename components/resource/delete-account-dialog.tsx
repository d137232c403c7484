"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { JobProgress, type Job } from "@/components/resource/job-progress";
import { errorMessage } from "@/components/resource/router-types";
import { count } from "@/lib/count";
import { Button } from "@/components/ui/button";
import { Dialog, useOpeningState } from "@/components/ui/dialog";
import { Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";

/**
 * Deleting an account: a confirmation that says what goes (its instances, running or not, and its
 * users), then the cleanup job's progress until the account is removed. Closing the dialog does not
 * stop the job; the account page keeps showing it.
 */
export function DeleteAccountDialog({
  account,
  open,
  onClose,
  onDeleted,
}: {
  account: { id: string; name: string };
  open: boolean;
  onClose: () => void;
  /** Called once the cleanup job has succeeded (the account is gone). */
  onDeleted?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [jobId, setJobId] = useOpeningState<string | null>(open, null);
  const [finished, setFinished] = useOpeningState<Job | null>(open, null);
  const preview = useQuery({ ...trpc.account.deletionPreview.queryOptions({ id: account.id }), enabled: open && !jobId, staleTime: 0 });
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.account.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.domain.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.user.pathKey() }),
    ]);
  const remove = useMutation(
    trpc.account.delete.mutationOptions({
      onSuccess: async (r) => {
        setJobId(r.jobId);
        await invalidate();
      },
    }),
  );

  const confirming = !jobId;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Delete account ${account.name}?`}
      footer={
        confirming ? (
          <>
            <Button variant="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button variant="danger" loading={remove.isPending} disabled={!preview.data} onClick={() => remove.mutate({ id: account.id })}>
              Delete account
            </Button>
          </>
        ) : (
          <Button variant="secondary" onClick={onClose}>
            {finished ? "Close" : "Close (deletion continues)"}
          </Button>
        )
      }
    >
      {confirming ? (
        <div className="space-y-2 text-sm text-slate-700">
          {preview.isPending ? (
            <Loading label="Counting what the account owns…" />
          ) : preview.error ? (
            <p role="alert" className="rounded-md bg-red-50 p-2 text-red-700">
              {errorMessage(preview.error)}
            </p>
          ) : (
            <>
              <p>Deleting the account removes, for good:</p>
              <ul className="list-disc space-y-1 pl-5" data-testid="deletion-preview">
                <li>
                  {preview.data.instances === 0 ? (
                    "no instances (it has none)"
                  ) : (
                    <>
                      <strong>{count(preview.data.instances, "instance")}</strong>
                      {preview.data.running > 0 && ` (${preview.data.running} running)`}: stopped, destroyed and expunged with their disks,
                      without the usual recovery delay
                    </>
                  )}
                </li>
                <li>
                  <strong>{count(preview.data.users, "user")}</strong>, signed out at once
                </li>
                <li>the account itself; its limits are given back to its domain</li>
              </ul>
              <p className="text-slate-500">Its usage records and events are kept. This cannot be undone.</p>
            </>
          )}
          {remove.error && (
            <p role="alert" className="rounded-md bg-red-50 p-2 text-red-700">
              {errorMessage(remove.error)}
            </p>
          )}
        </div>
      ) : (
        <JobProgress
          jobId={jobId}
          subject={`account ${account.name}`}
          onDone={(job) => {
            setFinished(job);
            void invalidate().then(() => job.status === "succeeded" && onDeleted?.());
          }}
        />
      )}
    </Dialog>
  );
}
