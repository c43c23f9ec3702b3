import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

test("an affiliate labels five studies with the keyboard, undoes one, and the fellow's dashboard counts them", async ({ browser }) => {
  const question = `Effusion ${Date.now()}`;
  const fellow = await (await browser.newContext()).newPage();
  await signIn(fellow, "fellow");
  await fellow.getByRole("link", { name: DEMO_PROJECT }).click();
  await fellow.getByRole("link", { name: "Questions and rules" }).click();
  await fellow.getByLabel("Question", { exact: true }).fill(question);
  await fellow.getByRole("button", { name: "Add question" }).click();
  await fellow.getByRole("link", { name: question }).click();
  await fellow.getByLabel("Phrase", { exact: true }).fill("effusion");
  await fellow.getByLabel("Label", { exact: true }).selectOption("present");
  await fellow.getByRole("button", { name: "Add rule" }).click();
  await expect(fellow.locator('tr[data-rule="effusion"]')).toBeVisible();
  await fellow.getByRole("link", { name: "Queue and agreement" }).click();
  await fellow.getByLabel("Overlap (% of studies)").fill("0");
  await fellow.getByRole("button", { name: /Build the queue/ }).click();
  await expect(fellow.getByRole("status")).toContainText(/Queued \d+ studies/);

  const affiliate = await (await browser.newContext()).newPage();
  await signIn(affiliate, "affiliate");
  await affiliate.getByRole("link", { name: DEMO_PROJECT }).click();
  await affiliate.getByRole("link", { name: `Label ${question}` }).click();
  await expect(affiliate.getByRole("heading", { name: question })).toBeVisible();
  // The rule's phrase is marked in the report, and its soft label is pre-selected.
  await expect(affiliate.getByRole("article", { name: "Report text" }).locator("mark").first()).toHaveText(/effusion/i);
  await expect(affiliate.getByRole("button", { name: /present/ })).toHaveAttribute("aria-pressed", "true");

  const seen: string[] = [];
  for (let n = 1; n <= 5; n++) {
    const accession = await affiliate.getByTestId("queue-accession").innerText();
    seen.push(accession);
    // Every other study is corrected to "absent" with key 2; the rest confirmed as suggested.
    if (n % 2 === 0) await affiliate.keyboard.press("2");
    await affiliate.keyboard.press("Enter");
    await expect(affiliate.getByTestId("queue-progress")).toContainText(`Done today ${n}`);
    await expect(affiliate.getByTestId("queue-accession")).not.toHaveText(accession);
  }
  expect(new Set(seen).size).toBe(5);

  // U takes back the last answer and shows that study again.
  await affiliate.keyboard.press("u");
  await expect(affiliate.getByTestId("queue-accession")).toHaveText(seen[4]);
  await expect(affiliate.getByTestId("queue-progress")).toContainText("Done today 4");

  await fellow.reload();
  await expect(fellow.getByTestId("answers")).toHaveText("4");
  await expect(fellow.getByTestId("raters").getByRole("row", { name: /affiliate/ }).getByTestId("rater-answers")).toHaveText("4");
});
