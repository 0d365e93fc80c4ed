"use client";

import { beginSignOut } from "@/components/providers/trpc";
import { authClient } from "./auth-client";

export function SignOutButton() {
  return (
    <button
      type="button"
      className="text-sm text-slate-300 hover:text-white"
      onClick={async () => {
        beginSignOut();
        try {
          await authClient.signOut();
        } finally {
          // A full load of the sign-in page: nothing this person loaded (queries, the router's cached pages) stays
          // in the tab for whoever signs in next.
          window.location.assign("/sign-in");
        }
      }}
    >
      Sign out
    </button>
  );
}
