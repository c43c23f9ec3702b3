import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

test("a fellow searches a phrase, opens a report and steps to the next result with the keyboard", async ({ page }) => {
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Search reports" }).click();
  await expect(page.getByRole("heading", { name: "Search reports" })).toBeVisible();

  await page.getByRole("searchbox").fill('"no pneumothorax"');
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("result-count")).toContainText("reports match");
  const first = page.locator(".result").first();
  await expect(first.locator("mark", { hasText: /pneumothorax/i }).first()).toBeVisible();

  await first.getByRole("link").click();
  await expect(page.getByRole("heading", { name: /^Report / })).toBeVisible();
  await expect(page.getByText("Result 1 of")).toBeVisible();
  await expect(page.getByRole("article", { name: "Report text" }).locator("mark").first()).toBeVisible();
  const firstTitle = await page.getByRole("heading", { name: /^Report / }).innerText();

  await page.keyboard.press("j");
  await expect(page.getByText("Result 2 of")).toBeVisible();
  await expect(page.getByRole("heading", { name: /^Report / })).not.toHaveText(firstTitle);
  await page.keyboard.press("k");
  await expect(page.getByText("Result 1 of")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("heading", { name: "Search reports" })).toBeVisible();
  await expect(page.getByRole("searchbox")).toHaveValue('"no pneumothorax"');
});

test("filters narrow the results, and a search with no match says what to try", async ({ page }) => {
  await signIn(page, "affiliate");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Search reports" }).click();
  await page.getByLabel("Modalities").fill("CT");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("result-count")).toContainText("reports match");
  for (const title of await page.locator(".result-title").allInnerTexts()) {
    expect(title).toMatch(/· CT$/);
  }
  await page.getByRole("searchbox").fill("xylophone");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("heading", { name: "No report matches" })).toBeVisible();
});

test("a fellow saves a search as a cohort and finds it, counted, on the project page", async ({ page }) => {
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Search reports" }).click();
  await page.getByRole("searchbox").fill('"pleural effusion"');
  await page.getByLabel("Modalities").fill("CR, DX");
  await page.getByRole("button", { name: "Search" }).click();
  const count = (await page.getByTestId("result-count").innerText()).split(" ")[0];

  const name = `Effusions ${Date.now()}`;
  await page.getByLabel("Cohort name").fill(name);
  await page.getByRole("button", { name: "Save cohort" }).click();
  await expect(page.getByText("Cohort saved")).toBeVisible();

  await page.getByRole("link", { name: "Project", exact: true }).click();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row.getByRole("cell").nth(1)).toHaveText(count);
  await row.getByRole("link", { name }).click();
  await expect(page.getByRole("searchbox")).toHaveValue('"pleural effusion"');
  await expect(page.getByTestId("result-count")).toContainText(`${count} reports match`);
});
