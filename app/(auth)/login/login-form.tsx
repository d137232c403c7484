"use client";
import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { safeCallbackPath } from "@/lib/safe-redirect";

const messages: Record<string, string> = {
  invalid: "Wrong username or password",
  disabled: "This user or its account is disabled or locked",
  throttled: "Too many login attempts; wait a few minutes and try again",
  CredentialsSignin: "Wrong username or password",
};

export function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const field = (name: string) => {
      const v = form.get(name);
      return typeof v === "string" ? v : "";
    };
    const username = field("username").trim();
    const password = field("password");
    if (!username || !password) return setError("Enter your username and password");
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", { username, password, redirect: false });
    setBusy(false);
    if (!res || res.error) return setError(messages[res?.error ?? ""] ?? "Sign-in failed; try again");
    router.replace(safeCallbackPath(params.get("callbackUrl"), window.location.origin));
    router.refresh();
  }

  return (
    <form onSubmit={(e) => void onSubmit(e)} className="space-y-4" noValidate>
      <Field label="Username">{(id) => <Input id={id} name="username" autoComplete="username" autoFocus required />}</Field>
      <Field label="Password">{(id) => <Input id={id} name="password" type="password" autoComplete="current-password" required />}</Field>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <Button type="submit" loading={busy} className="w-full">
        Sign in
      </Button>
    </form>
  );
}
