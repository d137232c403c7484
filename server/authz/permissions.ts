import type { AccountType } from "./caller";

/**
 * Permission strings `resource.action`, and which account type holds which. Scope (which objects)
 * is checked separately, inside each query; a permission only says which kind of action.
 */
export const permissions = [
  "domain.read",
  "domain.manage",
  "account.read",
  "account.manage",
  "user.manage",
  "limit.read",
  "limit.manage",
  "offering.read",
  "offering.manage",
  "infra.read",
  "infra.manage",
  "event.read",
  "usage.read",
  "pricing.manage",
  "billing.read",
  "billing.manage",
  "webhook.manage",
] as const;
export type Permission = (typeof permissions)[number];

const reseller: Permission[] = [
  "domain.read",
  "domain.manage",
  "account.read",
  "account.manage",
  "user.manage",
  "limit.read",
  "limit.manage",
  "offering.read",
  "offering.manage",
  "event.read",
  "usage.read",
  "pricing.manage",
  "billing.read",
  "billing.manage",
  "webhook.manage",
];

const byType: Record<AccountType, ReadonlySet<Permission>> = {
  root_admin: new Set(permissions),
  domain_admin: new Set(reseller),
  user: new Set<Permission>(["limit.read", "offering.read", "event.read", "usage.read", "billing.read", "webhook.manage"]),
};

export function can(type: AccountType, permission: Permission): boolean {
  return byType[type].has(permission);
}

export function permissionsOf(type: AccountType): Permission[] {
  return [...byType[type]];
}
