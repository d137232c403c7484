import type { Metadata } from "next";
import { currentCaller } from "@/server/api/context";
import { Images } from "./images";

export const metadata: Metadata = { title: "Templates" };

export default async function TemplatesPage() {
  const caller = await currentCaller();
  return <Images kind="template" canPublish={caller?.accountType === "root_admin"} />;
}
