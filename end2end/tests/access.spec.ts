import { expect } from "@playwright/test";
import { gotoHydrated, signIn, test } from "./helpers";

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
  await gotoHydrated(page, "/admin/audit");
  // Part of an action's name, typed with a space, finds every action it names.
  await page.getByLabel("Action").fill("Sign in");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=Sign/);
  const actions = page.getByRole("row").locator("td:nth-child(3)");
  await expect(actions.first()).toHaveText(/^sign_in/);
  for (const action of await actions.allInnerTexts()) expect(action).toMatch(/^sign_in/);
  // Projects are chosen by name.
  await page.getByLabel("Action").fill("");
  await page.getByLabel("Project").selectOption({ label: "Demo: chest radiographs and head CT" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/project=\d+/);
  await expect(page.getByLabel("Project")).toHaveValue(/\d+/);
  const projects = page.getByRole("row").locator("td:nth-child(4)");
  await expect(projects.first()).toHaveText("Demo: chest radiographs and head CT");
  expect(new Set(await projects.allInnerTexts())).toEqual(new Set(["Demo: chest radiographs and head CT"]));
});

test("the admin sets a protocol end date, and closing needs the project's name", async ({ page, guard }) => {
  guard.allow(/status of 422.*\/api\/close_project/);
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Administration" }).click();
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await gotoHydrated(page, page.url());

  await page.getByLabel("Last valid day").fill("2099-12-31");
  await page.getByRole("button", { name: "Save end date" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
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

test("adding someone who is already a member says it is a role change and asks; a second new user keeps the first one's password on screen", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/admin");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  const stamp = Date.now() % 100000;
  const [first, second] = [`radiographer${stamp}`, `resident${stamp}`];
  for (const user of [first, second]) {
    await page.getByLabel("New user").fill(user);
    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByRole("textbox", { name: `New password for ${user}` })).toBeVisible();
  }
  // Both one-time passwords stay until hidden.
  await expect(page.getByRole("textbox", { name: `New password for ${first}` })).toHaveValue(/^[\w]{4}-[\w]{4}-[\w]{4}-[\w]{4}$/);
  await page.getByRole("button", { name: `Hide the password of ${first}` }).click();
  await expect(page.getByRole("textbox", { name: `New password for ${first}` })).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: `New password for ${second}` })).toBeVisible();

  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("User", { exact: true }).selectOption(first);
  await page.getByLabel("Role").selectOption("affiliate");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("status")).toHaveText(`Added ${first} to ${DEMO_PROJECT} as affiliate.`);
  const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: first, exact: true }) });
  await expect(row).toContainText("affiliate");

  // The same user again, as a fellow: the page asks; declined, nothing changes.
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); dialog.dismiss(); });
  await page.getByLabel("User", { exact: true }).selectOption(first);
  await page.getByLabel("Role").selectOption("fellow");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect.poll(() => asked).toContain(`${first} is already in ${DEMO_PROJECT} with the role affiliate. Change their role to fellow?`);
  await expect(row).toContainText("affiliate");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("status")).toHaveText(`${first} is now fellow in ${DEMO_PROJECT} (was affiliate).`);
  await expect(row).toContainText("fellow");

  // Removing says so, in place of the role change's notice.
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: `Remove ${first}` }).click();
  await expect(page.getByRole("status")).toHaveText(`Removed ${first} from ${DEMO_PROJECT}: they no longer see it; their answers stay.`);
  await expect(row).toHaveCount(0);

  await page.goto("/admin/audit?action=member_role_changed");
  const event = page.getByRole("row").filter({ hasText: first }).first();
  await expect(event).toContainText("role affiliate → fellow");
  await expect(event).toContainText(DEMO_PROJECT);
});

test("an affiliate is not offered what only a fellow may do: no cohort Delete, no Save cohort", async ({ browser }) => {
  const fellow = await (await browser.newContext()).newPage();
  await signIn(fellow, "fellow");
  await fellow.getByRole("link", { name: DEMO_PROJECT }).click();
  await fellow.getByRole("link", { name: "Search reports" }).click();
  await fellow.locator("html[data-hydrated]").waitFor({ state: "attached" });
  const name = `Chest only ${Date.now()}`;
  await fellow.getByLabel("Cohort name").fill(name);
  await fellow.getByRole("button", { name: "Save cohort" }).click();
  await expect(fellow.getByRole("status").filter({ hasText: "Cohort saved" })).toBeVisible();

  const affiliate = await (await browser.newContext()).newPage();
  await signIn(affiliate, "affiliate");
  await affiliate.getByRole("link", { name: DEMO_PROJECT }).click();
  await affiliate.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(affiliate.getByRole("link", { name })).toBeVisible();
  await expect(affiliate.getByRole("button", { name: /Delete cohort/ })).toHaveCount(0);
  await affiliate.getByRole("link", { name: "Search reports" }).click();
  await affiliate.getByRole("searchbox").fill("effusion");
  await affiliate.getByRole("button", { name: "Search", exact: true }).click();
  await expect(affiliate.getByTestId("result-count")).toBeVisible();
  await expect(affiliate.getByRole("heading", { name: "Save this search as a cohort" })).toHaveCount(0);
  await expect(affiliate.getByLabel("Cohort name")).toHaveCount(0);

  // Pages of other roles say why, without a form that would be refused.
  await affiliate.goto(new URL(affiliate.url()).pathname.replace(/\/search.*/, "/import"));
  await expect(affiliate.getByRole("note")).toContainText("Only the project's fellows import reports");
  await expect(affiliate.getByLabel("File")).toHaveCount(0);
  await expect(affiliate.getByRole("button", { name: "Import" })).toHaveCount(0);
  await affiliate.goto("/admin/audit");
  await expect(affiliate.getByRole("alert")).toBeVisible();
  await expect(affiliate.getByRole("button", { name: "Filter" })).toHaveCount(0);
});
