import { redirect } from "next/navigation";

/** /infrastructure → its first page, the zones (the breadcrumb "Infrastructure" links here too). */
export default function InfrastructurePage() {
  redirect("/infrastructure/zones");
}
