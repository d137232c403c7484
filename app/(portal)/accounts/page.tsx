import type { Metadata } from "next";
import { AccountsList } from "./accounts-list";

export const metadata: Metadata = { title: "Accounts" };

export default function AccountsPage() {
  return <AccountsList />;
}
