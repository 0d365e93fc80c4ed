"use client";
import { createAuthClient } from "better-auth/react";

// Same origin as the page: the auth routes live under /api/auth on this app.
export const authClient = createAuthClient();
