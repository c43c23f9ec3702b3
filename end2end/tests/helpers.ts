import { test as base, expect, Page } from "@playwright/test";

/** Returns the demo password of a demo user, as printed by `sieve serve --demo`. */
export function demoPassword(user: "admin" | "fellow" | "affiliate" | "scientist"): string {
  const password = process.env[`SIEVE_DEMO_${user.toUpperCase()}_PASSWORD`];
  if (!password) throw new Error(`SIEVE_DEMO_${user.toUpperCase()}_PASSWORD is not set`);
  return password;
}

/** Opens a page and waits until the wasm has loaded, so that interactions run in the hydrated app. */
export async function gotoHydrated(page: Page, path: string) {
  const wasm = page.waitForResponse((response) => response.url().endsWith(".wasm") && response.ok());
  await page.goto(path);
  await wasm;
  // The app marks the document once hydrated (see app/src/lib.rs).
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/** Signs in through the form and waits for the projects page. */
export async function signIn(page: Page, user: "admin" | "fellow" | "affiliate" | "scientist") {
  await gotoHydrated(page, "/login");
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password", { exact: true }).fill(demoPassword(user));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
}

/** Text that is code, not words: a `view!` attribute closure holding `>` closes its tag early and prints the rest. */
export const CODE_AS_TEXT = /on:click|move \||=>|\.update\(|\.get\(\)/;

/** What a page must never do while a test uses it. */
export interface PageGuard {
  /** Lets console errors matching `pattern` pass (an error response the test asks for on purpose). */
  allow(pattern: RegExp): void;
  /** Fails on a console error or uncaught exception so far, or on code shown as text now. */
  check(): Promise<void>;
}

/**
 * Watches `page` for console errors and uncaught exceptions, and each document it loads for code
 * shown as text. Call `check()` after each step worth checking; `test` below calls it at the end.
 */
export function guardPage(page: Page): PageGuard {
  const problems: string[] = [];
  const allowed: RegExp[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = `${message.text()} (${message.location().url})`;
    if (!allowed.some((pattern) => pattern.test(text))) problems.push(`console error on ${page.url()}: ${text}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught on ${page.url()}: ${error.message}`));
  page.on("load", () => {
    page
      .evaluate(() => document.body.innerText)
      .then((text) => {
        const code = text.match(CODE_AS_TEXT);
        if (code) problems.push(`code shown as text on ${page.url()}: …${text.slice(Math.max(0, code.index! - 60), code.index! + 60)}…`);
      })
      .catch(() => {});
  });
  return {
    allow: (pattern) => allowed.push(pattern),
    check: async () => {
      if (!page.isClosed()) {
        const text = await page.locator("body").innerText();
        const code = text.match(CODE_AS_TEXT);
        expect(code && text.slice(Math.max(0, code.index! - 60), code.index! + 60), `code shown as text on ${page.url()}`).toBeNull();
      }
      expect(problems, "console errors, exceptions or code shown as text").toEqual([]);
    },
  };
}

/** Playwright's `test`, with every page guarded (see `guardPage`) and checked when the test ends. */
export const test = base.extend<{ guard: PageGuard }>({
  guard: [
    async ({ page }, use) => {
      const guard = guardPage(page);
      await use(guard);
      await guard.check();
    },
    { auto: true },
  ],
});
