"use client";
import dynamic from "next/dynamic";

/** Rendered in the browser only: the ticket lives in the URL's fragment, which the server never sees. */
export const LinkConsoleLoader = dynamic(() => import("./link-console").then((m) => m.LinkConsole), { ssr: false });
