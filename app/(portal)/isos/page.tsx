import type { Metadata } from "next";
import { currentCaller } from "@/server/api/context";
import { Images } from "../templates/images";

export const metadata: Metadata = { title: "ISOs" };

export default async function IsosPage() {
  const caller = await currentCaller();
  return <Images kind="iso" canPublish={caller?.accountType === "root_admin"} />;
}
