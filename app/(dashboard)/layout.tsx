import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { SignedInAs } from "@/components/auth/signed-in-as";

/**
 * Every dashboard page needs a signed-in person. The page itself is a static shell, the same for everybody
 * (issue 15): `proxy.ts` sends visitors without a session cookie to sign-in, every tRPC call checks the
 * session and the membership, and a refused call (an expired session) leads to sign-in too.
 */
export default function DashboardLayout({ children }: { children: ReactNode }) {
  return (
    <div className="min-h-screen">
      <header className="bg-slate-900">
        <div className="mx-auto flex max-w-7xl items-center justify-between px-4 py-3">
          <Link href="/towns" className="text-sm font-bold tracking-wide text-white">
            Gastown Control
          </Link>
          <div className="flex items-center gap-4">
            <SignedInAs />
            <SignOutButton />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
    </div>
  );
}
