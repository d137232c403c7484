import type { Metadata } from "next";
import { DeployWizard } from "./deploy-wizard";

export const metadata: Metadata = { title: "Deploy instance" };

export default function DeployInstancePage() {
  return <DeployWizard />;
}
