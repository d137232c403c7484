"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { WhenLoaded } from "@/components/resource/filters";
import { useResourceMutation } from "@/components/resource/mutations";
import { errorMessage } from "@/components/resource/router-types";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Checkbox } from "@/components/ui/field";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { type ImageRow, imageChanges } from "./images";

type Sharing = { accounts: { id: string }[]; domains: { id: string }[]; isPublic: boolean; isFeatured: boolean };

/** A set of ids ticked in a list of checkboxes. */
function Picks({
  legend,
  items,
  picked,
  onToggle,
}: {
  legend: string;
  items: { id: string; label: string }[];
  picked: Set<string>;
  onToggle: (id: string) => void;
}) {
  if (items.length === 0) return null;
  return (
    <fieldset className="space-y-1">
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      <div className="max-h-48 space-y-1 overflow-y-auto rounded-md border border-slate-200 p-2">
        {items.map((i) => (
          <Checkbox key={i.id} label={i.label} checked={picked.has(i.id)} onChange={() => onToggle(i.id)} />
        ))}
      </div>
    </fieldset>
  );
}

/**
 * Whom a template is shared with: accounts (a tenant: accounts of its domain; a reseller: of its
 * subtree), domains whose whole subtree sees it (administrators), public and featured (the root
 * administrator). Saving replaces the lists.
 */
export function ShareDialog({ image, onClose }: { image: ImageRow | null; onClose: () => void }) {
  return (
    <Dialog open={!!image} onClose={onClose} title={image ? `Share ${image.name}` : "Share"}>
      {image && <ShareBody image={image} onClose={onClose} />}
    </Dialog>
  );
}

/** Asks for the sharing only while the dialog is open for a template. */
function ShareBody({ image, onClose }: { image: ImageRow; onClose: () => void }) {
  const trpc = useTRPC();
  const sharing = useQuery(trpc.template.sharing.queryOptions({ id: image.id }));
  return (
    <WhenLoaded query={sharing} what="sharing">
      {(s) => <ShareForm key={image.id} image={image} sharing={s} onClose={onClose} />}
    </WhenLoaded>
  );
}

function ShareForm({
  image,
  sharing,
  onClose,
}: {
  image: ImageRow;
  sharing: Sharing & {
    targets: { accounts: { id: string; name: string; domainName: string }[]; domains: { id: string; name: string; path: string }[] };
    canPublish: boolean;
  };
  onClose: () => void;
}) {
  const client = useTRPCClient();
  const [accounts, setAccounts] = useState(() => new Set(sharing.accounts.map((a) => a.id)));
  const [domains, setDomains] = useState(() => new Set(sharing.domains.map((d) => d.id)));
  const [isPublic, setPublic] = useState(sharing.isPublic);
  const [isFeatured, setFeatured] = useState(sharing.isFeatured);
  const [error, setError] = useState<string | null>(null);
  const toggle = (set: Set<string>, update: (s: Set<string>) => void) => (id: string) => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    update(next);
  };
  const save = useResourceMutation({
    run: () =>
      client.template.share.mutate({
        id: image.id,
        accountIds: [...accounts],
        domainIds: [...domains],
        ...(sharing.canPublish ? { isPublic, isFeatured } : {}),
      }),
    invalidate: imageChanges,
    success: () => `Sharing of ${image.name} saved`,
    quietErrors: true,
    onDone: onClose,
  });
  const depth = (path: string) => path.split("/").filter(Boolean).length - 1;
  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        save.mutate(undefined, { onError: (err) => setError(errorMessage(err)) });
      }}
    >
      <Picks
        legend="Domains (the whole subtree sees it)"
        items={sharing.targets.domains.map((d) => ({ id: d.id, label: `${"— ".repeat(depth(d.path))}${d.name}` }))}
        picked={domains}
        onToggle={toggle(domains, setDomains)}
      />
      <Picks
        legend="Accounts"
        items={sharing.targets.accounts.map((a) => ({ id: a.id, label: `${a.name} (${a.domainName})` }))}
        picked={accounts}
        onToggle={toggle(accounts, setAccounts)}
      />
      {sharing.targets.accounts.length === 0 && sharing.targets.domains.length === 0 && (
        <p className="text-sm text-slate-700">There is no other account you can share with.</p>
      )}
      {sharing.canPublish && (
        <div className="flex flex-wrap gap-4">
          <Checkbox
            label="Public (every account)"
            checked={isPublic || isFeatured}
            disabled={isFeatured}
            onChange={(e) => setPublic(e.target.checked)}
          />
          <Checkbox label="Featured" checked={isFeatured} onChange={(e) => setFeatured(e.target.checked)} />
        </div>
      )}
      {error && (
        <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-800">
          {error}
        </p>
      )}
      <div className="flex justify-end gap-2 border-t border-slate-200 pt-4">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" loading={save.isPending}>
          Save sharing
        </Button>
      </div>
    </form>
  );
}
