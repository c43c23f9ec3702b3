import { expect, Page } from "@playwright/test";

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
