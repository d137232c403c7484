import type { Permission } from "@/server/authz/permissions";

export interface NavItem {
  href: string;
  label: string;
  /** Shown only to callers holding this permission. */
  permission?: Permission;
}
export interface NavSection {
  title?: string;
  items: NavItem[];
}

/** The navigation, filtered by the caller's permissions (the server still checks every call). */
export const navigation: NavSection[] = [
  {
    items: [
      { href: "/", label: "Dashboard" },
      { href: "/instances", label: "Instances" },
      { href: "/volumes", label: "Volumes" },
      { href: "/networks", label: "Networks" },
      { href: "/security-groups", label: "Security groups" },
      { href: "/templates", label: "Templates" },
      { href: "/isos", label: "ISOs" },
      { href: "/alerts", label: "Alerts" },
      { href: "/events", label: "Events", permission: "event.read" },
      { href: "/usage", label: "Usage", permission: "usage.read" },
      { href: "/billing", label: "Billing", permission: "billing.read" },
      { href: "/webhooks", label: "Webhooks", permission: "webhook.manage" },
    ],
  },
  {
    title: "Administration",
    items: [
      { href: "/domains", label: "Domains", permission: "domain.read" },
      { href: "/accounts", label: "Accounts", permission: "account.read" },
      { href: "/users", label: "Users", permission: "user.manage" },
      { href: "/pricing", label: "Pricing", permission: "pricing.manage" },
      { href: "/offerings/compute", label: "Compute offerings", permission: "offering.manage" },
      { href: "/offerings/disk", label: "Disk offerings", permission: "offering.manage" },
      { href: "/offerings/network", label: "Network offerings", permission: "offering.manage" },
    ],
  },
  {
    title: "Infrastructure",
    items: [
      { href: "/infrastructure/zones", label: "Zones", permission: "infra.read" },
      { href: "/infrastructure/pods", label: "Pods", permission: "infra.read" },
      { href: "/infrastructure/clusters", label: "Clusters", permission: "infra.read" },
      { href: "/infrastructure/hosts", label: "Hosts", permission: "infra.read" },
      { href: "/infrastructure/storage", label: "Storage", permission: "infra.read" },
      { href: "/infrastructure/shared-networks", label: "Shared networks", permission: "infra.manage" },
      { href: "/infrastructure/templates", label: "Template store", permission: "infra.manage" },
      { href: "/infrastructure/capacity", label: "Capacity", permission: "infra.read" },
      { href: "/infrastructure/simulator", label: "Simulator", permission: "infra.manage" },
    ],
  },
];

export function visibleNavigation(permissions: readonly string[]): NavSection[] {
  return navigation
    .map((s) => ({ ...s, items: s.items.filter((i) => !i.permission || permissions.includes(i.permission)) }))
    .filter((s) => s.items.length > 0);
}
