"use client";

import { Button } from "./button";

type Cursor = string | null;

/**
 * Newer / Older buttons over a keyset-paged list: `cursors` is the stack of page cursors walked so far
 * (the first is null), `nextCursor` the server's cursor for the next, older page.
 * Hidden while there is only one page, unless `steady` keeps the bar; `showPageNumber` adds "Page n".
 */
export function CursorPager({
  cursors,
  setCursors,
  nextCursor,
  showPageNumber = false,
  steady = false,
  labels = { newer: "← Newer", older: "Older →" },
}: {
  cursors: Cursor[];
  setCursors: (c: Cursor[]) => void;
  nextCursor: Cursor | undefined;
  showPageNumber?: boolean;
  steady?: boolean;
  labels?: { newer: string; older: string };
}) {
  if (!steady && cursors.length <= 1 && !nextCursor) return null;
  return (
    <div className="flex items-center justify-between">
      <Button variant="secondary" size="sm" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
        {labels.newer}
      </Button>
      {showPageNumber ? <span className="text-xs text-slate-500">Page {cursors.length}</span> : null}
      <Button variant="secondary" size="sm" disabled={!nextCursor} onClick={() => nextCursor && setCursors([...cursors, nextCursor])}>
        {labels.older}
      </Button>
    </div>
  );
}
