import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ErrorLine } from "./error-line";

const html = (props: Parameters<typeof ErrorLine>[0]) => renderToStaticMarkup(createElement(ErrorLine, props));

describe("<ErrorLine>", () => {
  it("renders nothing without an error", () => {
    expect(html({ error: null })).toBe("");
    expect(html({ error: undefined })).toBe("");
  });

  it("shows a failed call's message on one announced red line", () => {
    expect(html({ error: new Error("Rig name taken"), className: "mt-2" })).toBe('<p class="mt-2 text-sm text-red-600" role="alert">Rig name taken</p>');
  });

  it("shows a worded message as it is, with a prefix, a test id, as a small span", () => {
    expect(html({ error: "Give both times.", as: "span", size: "xs", prefix: "Not sent: ", testId: "e" })).toBe(
      '<span class="text-xs text-red-600" role="alert" data-testid="e">Not sent: Give both times.</span>',
    );
  });
});
