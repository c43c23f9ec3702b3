import { expect } from "@playwright/test";
import { demoPassword, gotoHydrated, signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

test("the sign-in page becomes interactive: the password can be shown", async ({ page }) => {
  await gotoHydrated(page, "/login");
  const password = page.getByLabel("Password", { exact: true });
  await password.fill("secret words");
  await expect(password).toHaveAttribute("type", "password");
  // Only the hydrated app handles this click: the server-rendered button does nothing.
  await page.getByRole("button", { name: "Show password" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await page.getByRole("button", { name: "Hide password" }).click();
  await expect(password).toHaveAttribute("type", "password");
});

test("a wrong password gets one generic message and no session", async ({ page, guard }) => {
  guard.allow(/status of 401.*\/api\/sign_in/);
  await gotoHydrated(page, "/login");
  await page.getByLabel("User name").fill("fellow");
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong user name or password.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=\//);
});

test("the demo fellow signs in, sees the demo project with its reports, and signs out", async ({ page }) => {
  await signIn(page, "fellow");
  const card = page.getByRole("listitem").filter({ hasText: DEMO_PROJECT });
  await expect(card).toContainText("fellow");
  // 400 demo reports, and any a browser test imported before this one.
  const reports = (await card.innerText()).match(/([\d,]+) reports/)?.[1];
  expect(Number(reports?.replace(/,/g, ""))).toBeGreaterThanOrEqual(400);

  await card.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await expect(page.getByTestId("report-count")).toHaveText(reports!);
  await expect(page.getByText("DEMO-2026-001")).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

test("a page asked for before signing in is shown after signing in", async ({ page }) => {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login\?next=\/admin/);
  await gotoHydrated(page, page.url());
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(demoPassword("admin"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Administration" })).toBeVisible();
  await expect(page.getByRole("link", { name: DEMO_PROJECT, exact: true })).toBeVisible();
  await expect(page.getByRole("cell", { name: "sign_in", exact: true }).first()).toBeVisible();
});

test("an affiliate is refused the admin page", async ({ page, guard }) => {
  guard.allow(/status of 403.*\/admin\)/);
  await signIn(page, "affiliate");
  await expect(page.getByRole("link", { name: "Administration" })).toHaveCount(0);
  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("alert")).toContainText("Administration needs the site admin role");
});

test("? shows the keyboard shortcuts and g then p goes to the projects", async ({ page }) => {
  await signIn(page, "scientist");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await page.keyboard.press("?");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await page.keyboard.press("g");
  await page.keyboard.press("p");
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
});
