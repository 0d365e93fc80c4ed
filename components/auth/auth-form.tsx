"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { authClient } from "./auth-client";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";

/** Sign-up and sign-in share one form: email + password (and a name for sign-up). Rendered in the page's HTML. */
export function AuthForm({ mode }: { mode: "sign-in" | "sign-up" }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    const res =
      mode === "sign-up"
        ? await authClient.signUp.email({ email, password, name: String(form.get("name") ?? "").trim() || email.split("@")[0] })
        : await authClient.signIn.email({ email, password });
    setBusy(false);
    if (res.error) {
      setError(res.error.message ?? "That did not work. Check your email and password.");
      return;
    }
    // Nothing a previous person of this tab loaded may show (the header's address is cached for minutes).
    queryClient.clear();
    // Read at submit, not with useSearchParams: that would make the form client-only (no HTML before hydration).
    const next = new URLSearchParams(window.location.search).get("next");
    router.push(next && next.startsWith("/") && !next.startsWith("//") ? next : "/towns");
    router.refresh();
  }

  return (
    <div className="mx-auto mt-24 max-w-sm rounded-lg bg-white p-8 shadow-sm ring-1 ring-slate-200">
      <h1 className="text-xl font-semibold">{mode === "sign-up" ? "Create your account" : "Sign in to Gastown Control"}</h1>
      {/* method="post": a submit before hydration (slow or blocked scripts) must never carry the password in
          the URL, the browser history or a server log, as the default GET would (issue 13). */}
      <form className="mt-6 space-y-4" method="post" onSubmit={onSubmit} noValidate={false}>
        {mode === "sign-up" ? (
          <Field label="Name" htmlFor="name">
            <Input id="name" name="name" autoComplete="name" maxLength={100} />
          </Field>
        ) : null}
        <Field label="Email" htmlFor="email">
          <Input id="email" name="email" type="email" autoComplete="email" required autoFocus />
        </Field>
        <Field label="Password" htmlFor="password" hint={mode === "sign-up" ? "At least 8 characters." : undefined}>
          <Input
            id="password"
            name="password"
            type="password"
            autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
            minLength={8}
            required
          />
        </Field>
        {error ? (
          <p className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">
            {error}
          </p>
        ) : null}
        <Button type="submit" busy={busy} className="w-full">
          {mode === "sign-up" ? "Sign up" : "Sign in"}
        </Button>
      </form>
      <p className="mt-6 text-center text-sm text-slate-500">
        {mode === "sign-up" ? (
          <>
            Already have an account? <Link className="font-semibold text-indigo-600" href="/sign-in">Sign in</Link>
          </>
        ) : (
          <>
            New here? <Link className="font-semibold text-indigo-600" href="/sign-up">Create an account</Link>
          </>
        )}
      </p>
    </div>
  );
}
