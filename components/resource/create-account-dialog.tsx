"use client";
import { useWatch, type FieldValues } from "react-hook-form";
import { useCaller } from "@/components/shell/caller-context";
import { defaultAccountLimits, meteredResourceTypes, type ResourceType } from "@/lib/resource-types";
import { useTRPCClient } from "@/lib/trpc/client";
import { createAccountInput } from "@/lib/validation/identity";
import { FormDialog, type KitForm, SelectField, TextField } from "./form-dialog";
import { formatLimit, LimitFields, limitFormSchema, limitFormValues, NotMetered } from "./limit-fields";
import { useDomainOptions } from "./options";
import { emptyUser, NewUserFields } from "./user-dialogs";

type AccountType = "user" | "domain_admin" | "root_admin";
const schema = createAccountInput.extend({ limits: limitFormSchema });
/** What the server gives a new account of this type when no limit is sent (`defaultAccountLimits`). */
const defaultsOf = (type: AccountType): Partial<Record<ResourceType, number>> => (type === "user" ? defaultAccountLimits : {});

/** "Add account": the account, its first user and its limits in one step (CloudStack's createAccount). */
export function CreateAccountDialog({
  open,
  onClose,
  defaultDomainId,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  defaultDomainId?: string;
  onCreated?: (accountId: string) => void;
}) {
  const caller = useCaller();
  const client = useTRPCClient();
  const domains = useDomainOptions(open);
  const types = [
    { value: "user", label: "User" },
    { value: "domain_admin", label: "Domain admin" },
    ...(caller.accountType === "root_admin" ? [{ value: "root_admin", label: "Root admin (ROOT domain only)" }] : []),
  ];
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title="Add account"
      wide
      waitFor={{ query: domains, what: "domains" }}
      schema={schema}
      defaultValues={{
        domainId: defaultDomainId ?? caller.domainId,
        name: "",
        type: "user",
        ...emptyUser,
        limits: limitFormValues(defaultAccountLimits),
      }}
      submitLabel="Create account"
      // Only limits that differ from the type's defaults are sent: the server applies the defaults itself.
      onSubmit={({ limits, ...v }) =>
        client.account.create.mutate({
          ...v,
          limits: Object.fromEntries(Object.entries(limits).filter(([t, max]) => (defaultsOf(v.type)[t as ResourceType] ?? null) !== max)),
        })
      }
      invalidate={["account", "domain", "user", "limit"]}
      success={(r) => `Account ${r.account.name} created with user ${r.user.username}`}
      onSaved={(r) => onCreated?.(r.account.id)}
    >
      {(f) => (
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField form={f} name="domainId" label="Domain" options={domains.data ?? []} className="sm:col-span-2" />
          <TextField form={f} name="name" label="Account name" autoFocus />
          <SelectField
            form={f}
            name="type"
            label="Account type"
            options={types}
            hint="Domain admins manage their domain's sub-domains, accounts and users"
            onChange={(t) => f.setValue("limits", limitFormValues(defaultsOf(t as AccountType)), { shouldValidate: true })}
          />
          <Section title="First user" hint="Every account starts with one user; add more later." />
          <NewUserFields form={f} />
          <AccountLimits form={f} />
        </div>
      )}
    </FormDialog>
  );
}

function Section({ title, hint }: { title: string; hint: string }) {
  return (
    <div className="sm:col-span-2">
      <h3 className="border-t border-slate-200 pt-4 text-sm font-semibold text-slate-800">{title}</h3>
      <p className="text-xs text-slate-600">{hint}</p>
    </div>
  );
}

/** The limits, pre-filled with the account type's built-in defaults, each saying what its default is. */
function AccountLimits<TIn extends FieldValues, TOut extends FieldValues>({ form }: { form: KitForm<TIn, TOut> }) {
  const f = form as unknown as KitForm<{ type: AccountType }, FieldValues>;
  const type = useWatch({ control: f.control, name: "type" });
  const defaults = defaultsOf(type);
  const origin =
    type === "user"
      ? "Pre-filled with Stratus's built-in defaults for a user account (not a setting, and not taken from the domain)."
      : "Admin accounts start unlimited (Stratus's built-in rule, not a setting).";
  return (
    <>
      <Section title="Limits" hint={`${origin} The domain's own limits still cap what the account can use.`} />
      <div className="space-y-2 sm:col-span-2" data-testid="new-account-limits">
        <LimitFields form={form} name="limits" hint={(t) => `Default: ${formatLimit(t, defaults[t] ?? null)}`} />
        {meteredResourceTypes.length > 0 && <NotMetered />}
      </div>
    </>
  );
}
