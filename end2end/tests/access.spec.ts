import { expect } from "@playwright/test";
import { signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

test("a scientist creates an API token, calls the API with it, and revokes it", async ({ page, request }) => {
  await signIn(page, "scientist");
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();

  const name = `notebook ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Project").selectOption({ label: DEMO_PROJECT });
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = await page.getByRole("textbox", { name: "Your new token" }).inputValue();
  expect(secret).toMatch(/^sieve_[0-9a-f]{64}$/);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(DEMO_PROJECT);

  const auth = { headers: { Authorization: `Bearer ${secret}` } };
  const projects = await request.get("/api/v1/projects", auth);
  expect(projects.status()).toBe(200);
  expect((await projects.json()).map((p: { name: string }) => p.name)).toEqual([DEMO_PROJECT]);

  // Revoking asks first.
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row).toContainText("revoked or expired");
  const refused = await request.get("/api/v1/me", auth);
  expect(refused.status()).toBe(401);
});

test("the admin filters the audit log", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/admin/audit");
  await page.getByLabel("Action").fill("sign_in");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=sign_in/);
  const actions = page.getByRole("row").locator("td:nth-child(3)");
  await expect(actions.first()).toHaveText("sign_in");
  expect(new Set(await actions.allInnerTexts())).toEqual(new Set(["sign_in"]));
});

test("the admin sets a protocol end date, and closing needs the project's name", async ({ page, guard }) => {
  guard.allow(/status of 422.*\/api\/close_project/);
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Administration" }).click();
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();

  await page.getByLabel("Last valid day").fill("2099-12-31");
  await page.getByRole("button", { name: "Save end date" }).click();
  await page.reload();
  await expect(page.getByLabel("Last valid day")).toHaveValue("2099-12-31");

  await page.getByLabel("Type the project's name to confirm").fill("demo");
  await page.getByRole("button", { name: "Close project and purge reports" }).click();
  await expect(page.getByRole("alert")).toContainText("type the project's name");
  await expect(page.getByText("Status").locator("..")).toContainText("open");
});

test("the admin creates a user and adds them to a project; they sign in and see it", async ({ page, browser }) => {
  await signIn(page, "admin");
  await page.goto("/admin");
  const user = `nurse${Date.now() % 100000}`;
  await page.getByLabel("New user").fill(user);
  await page.getByRole("button", { name: "Create user" }).click();
  const password = await page.getByRole("textbox", { name: `New password for ${user}` }).inputValue();
  expect(password).toMatch(/^[\w]{4}-[\w]{4}-[\w]{4}-[\w]{4}$/);
  await expect(page.getByRole("cell", { name: user, exact: true })).toBeVisible();

  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByLabel("User", { exact: true }).selectOption(user);
  await page.getByLabel("Role").selectOption("affiliate");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("row").filter({ hasText: user })).toContainText("affiliate");

  const context = await browser.newContext();
  const newcomer = await context.newPage();
  await newcomer.goto("/login");
  await newcomer.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await newcomer.getByLabel("User name").fill(user);
  await newcomer.getByLabel("Password", { exact: true }).fill(password);
  await newcomer.getByRole("button", { name: "Sign in" }).click();
  await expect(newcomer.getByRole("listitem").filter({ hasText: DEMO_PROJECT })).toContainText("affiliate");
  await context.close();

  // Removing asks first: declined, nothing is sent; accepted, they go.
  let removals = 0;
  page.on("request", (request) => { if (request.url().includes("/api/remove_member")) removals += 1; });
  page.once("dialog", (dialog) => dialog.dismiss());
  await page.getByRole("button", { name: `Remove ${user}` }).click();
  await expect(page.getByRole("row").filter({ hasText: user })).toHaveCount(1);
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: `Remove ${user}` }).click();
  await expect(page.getByRole("row").filter({ hasText: user })).toHaveCount(0);
  expect(removals).toBe(1);
});
