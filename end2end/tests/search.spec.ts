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

test("the search box reads what a fellow types or pastes as rules read phrases, and says plainly what it cannot search", async ({ page }) => {
  const errors: string[] = [];
  // A refused search answers 422, which the browser logs; anything else (a policy refusal) is a fault.
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().includes("status of 422")) errors.push(message.text());
  });
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Search reports" }).click();
  const search = async (typed: string) => {
    await page.getByRole("searchbox").fill(typed);
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((url) => url.searchParams.get("q") === typed);
  };

  // A `*` ending, as in a rule: found and marked.
  for (const prefix of ["pneumo*", "effus*"]) {
    await search(prefix);
    await expect(page.getByTestId("result-count")).toContainText("match");
    const mark = page.locator(".result mark").first();
    await expect(mark).toHaveText(new RegExp(`^${prefix.slice(0, -1)}`, "i"));
  }
  // Pasted report text: a header's colon, a URL, a dash.
  await search("impression:");
  await expect(page.getByTestId("result-count")).toContainText("match");
  await search("https://pacs.example.org/view?id=1");
  await expect(page.getByRole("heading", { name: "No report matches" })).toBeVisible();
  await search("-pneumothorax");
  await expect(page.getByTestId("result-count")).toContainText("match");
  await expect(page.getByRole("alert")).toHaveCount(0);
  // What cannot be searched is said in one sentence, without parser words.
  await search("-");
  await expect(page.getByRole("alert")).toContainText("Nothing to search for");
  await search("pneu*mo");
  await expect(page.getByRole("alert")).toContainText("can only end a word");
  await expect(page.getByRole("alert")).not.toContainText(/syntax|query|field/i);

  // Filters: a list of the project's exam codes; a typo and reversed dates are named.
  await expect(page.locator("datalist#exam-codes option[value=XRCHEST2V]")).toHaveCount(1);
  await page.getByRole("searchbox").fill("");
  await page.getByLabel("Exam codes").fill("XRCHEST");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("alert")).toContainText("“XRCHEST”");
  await expect(page.getByRole("alert")).toContainText("XRCHEST2V");
  await page.getByLabel("Exam codes").fill("");
  await page.getByLabel("Studies from").fill("2020-02-01");
  await page.getByLabel("to", { exact: true }).fill("2020-01-01");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("alert")).toContainText("reversed");
  expect(errors).toEqual([]);
});

test("an accession pasted into the search box leads to its study's report", async ({ page }) => {
  await signIn(page, "affiliate");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Search reports" }).click();
  await page.getByRole("searchbox").fill(" syn202600000023 ");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("by-accession")).toContainText("SYN202600000023 is a study's accession");
  await expect(page.getByRole("heading", { name: "No report matches" })).toBeHidden();
  await page.getByRole("link", { name: "open the report of SYN202600000023" }).click();
  await expect(page.getByRole("heading", { name: "Report SYN202600000023" })).toBeVisible();
});
