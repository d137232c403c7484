import type { Metadata } from "next";
import { ConsoleView } from "@/components/console/console-view";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Console" };

export default async function InstanceConsolePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <>
      <PageHeader
        title="Console"
        crumbs={[
          { label: "Compute" },
          { label: "Instances", href: "/instances" },
          { label: "Instance", href: `/instances/${id}` },
          { label: "Console" },
        ]}
      />
      <ConsoleView instanceId={id} />
    </>
  );
}
