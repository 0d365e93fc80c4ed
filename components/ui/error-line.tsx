import type { ReactNode } from "react";
import { errorMessage } from "./use-error";

/**
 * The one-line error under a form or a button: red, announced (role="alert"), and nothing at all when there
 * is no error. `error` is a failed call (its message is shown) or a message already worded for people.
 * For a whole view that failed to load, use <ErrorState> (with its retry) instead.
 */
export function ErrorLine({
  error,
  as: Tag = "p",
  size = "sm",
  className = "",
  prefix,
  testId,
}: {
  error: unknown;
  as?: "p" | "span";
  size?: "sm" | "xs";
  className?: string;
  /** words before the message, e.g. "Your message was not sent: " */
  prefix?: ReactNode;
  testId?: string;
}) {
  if (!error) return null;
  const message = typeof error === "string" ? error : errorMessage(error);
  return (
    <Tag className={`${className} ${size === "xs" ? "text-xs" : "text-sm"} text-red-600`.trim()} role="alert" data-testid={testId}>
      {prefix}
      {message}
    </Tag>
  );
}
