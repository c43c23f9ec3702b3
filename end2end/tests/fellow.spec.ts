import { expect, Page, test } from "@playwright/test";
import { signIn } from "./helpers";

// The fellow's screens (issue 13): rule files, versions, cohorts and questions never change a
// question's work without saying what changes and asking first.

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

async function openQuestions(page: Page) {
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Questions and rules" }).click();
  await expect(page.getByRole("heading", { name: "Questions", exact: true })).toBeVisible();
}

async function newQuestion(page: Page, name: string, labels = "present, absent", cohort?: string) {
  await page.getByLabel("Question", { exact: true }).fill(name);
  await page.getByLabel("Labels, comma-separated").fill(labels);
  if (cohort) await page.getByLabel("Applies to").selectOption({ label: cohort });
  await page.getByRole("button", { name: "Add question" }).click();
}

async function addRule(page: Page, phrase: string, label: string) {
  await page.getByLabel("Phrase", { exact: true }).fill(phrase);
  await page.getByLabel("Label", { exact: true }).selectOption(label);
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(page.locator(`tr[data-rule="${phrase}"]`)).toBeVisible();
}

/** Answers the next browser dialog; returns a promise of its message. */
function answerDialog(page: Page, accept: boolean): Promise<string> {
  return new Promise((resolve) => {
    page.once("dialog", async (dialog) => {
      const message = dialog.message();
      await (accept ? dialog.accept() : dialog.dismiss());
      resolve(message);
    });
  });
}

function csv(name: string, text: string) {
  return { name, mimeType: "text/csv", buffer: Buffer.from(text) };
}

test("a rules file that is not valid is refused with the reason, and a valid one is previewed and confirmed", async ({ page }) => {
  const question = `Import ${Date.now()}`;
  await openQuestions(page);
  await newQuestion(page, question);
  await page.getByRole("link", { name: question }).click();
  await addRule(page, "pneumothorax", "present");
  const meta = page.getByTestId("board-meta");
  await expect(meta).toContainText("version 1 · 1 rules");

  const files = page.getByRole("region", { name: "Rules as files" });
  const file = files.getByLabel("Import rules (.csv, .yaml)");
  const alert = files.getByRole("alert");
  const refusals: [string, string, RegExp][] = [
    ["empty.csv", "", /empty\.csv was not imported[\s\S]*the file is empty/],
    ["header.csv", "phrase,label\n", /no rules/],
    ["garbage.csv", "hello world\nthis is not a rules file\n", /line 1: .*“hello world” is not one of them/i],
    ["labels.csv", "phrase,label\nedema,maybe\n", /line 2: .*"maybe"/i],
  ];
  for (const [name, text, reason] of refusals) {
    await file.setInputFiles(csv(name, text));
    await files.getByRole("button", { name: "Import", exact: true }).click();
    await expect(alert).toContainText(reason);
    await expect(meta).toContainText("version 1 · 1 rules");
  }
  await expect(page.locator('tr[data-rule="pneumothorax"]')).toBeVisible();

  // A valid file: the page says what the import would do; declined, nothing changes.
  const good = csv("rules.csv", "phrase,label\nno pneumothorax,absent\npneumothorax,present\n");
  await file.setInputFiles(good);
  let asked = answerDialog(page, false);
  await files.getByRole("button", { name: "Import", exact: true }).click();
  expect(await asked).toContain("Replaces 1 rule with 2: 1 added, 0 removed, 0 changed, 1 unchanged.");
  await expect(files.getByRole("status")).toContainText("Not imported: the rules are unchanged.");
  await expect(meta).toContainText("version 1 · 1 rules");

  // Accepted, it is saved as the next version and the board shows it.
  asked = answerDialog(page, true);
  await files.getByRole("button", { name: "Import", exact: true }).click();
  expect(await asked).toMatch(/studies would change label/);
  await expect(files.getByRole("status")).toContainText("Imported 2 rules from rules.csv as version 2.");
  await expect(meta).toContainText("version 2 · 2 rules");
  await expect(page.locator('tr[data-rule="no pneumothorax"]')).toBeVisible();
});

test("restoring an older version saves it as a new version, and the compare selectors follow", async ({ page }) => {
  const question = `Restore ${Date.now()}`;
  await openQuestions(page);
  await newQuestion(page, question);
  await page.getByRole("link", { name: question }).click();
  await addRule(page, "pneumothorax", "present");
  await addRule(page, "no pneumothorax", "absent");
  const meta = page.getByTestId("board-meta");
  await expect(meta).toContainText("version 2 · 2 rules");
  await expect(page.locator('tr[data-version="2"]')).toBeVisible();
  const restoreButton = (version: number) =>
    page.locator(`tr[data-version="${version}"]`).getByRole("button", { name: "Restore" });
  await expect(restoreButton(2)).toHaveCount(0);
  await expect(restoreButton(0)).toHaveCount(0);

  let asked = answerDialog(page, false);
  await restoreButton(1).click();
  expect(await asked).toContain("Restore version 1?");
  await expect(meta).toContainText("version 2 · 2 rules");

  asked = answerDialog(page, true);
  await restoreButton(1).click();
  expect(await asked).toContain("saved as a new version, v3");
  await expect(meta).toContainText("version 3 · 1 rules");
  await expect(page.locator('tr[data-rule="no pneumothorax"]')).toHaveCount(0);
  await expect(page.locator('tr[data-version="3"]')).toContainText("restored version 1");
  await expect(page.locator('tr[data-version="1"]')).toBeVisible();
  await expect(page.getByLabel("To", { exact: true })).toHaveValue("3");
  await expect(page.getByLabel("From", { exact: true })).toHaveValue("2");
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page.getByTestId("flips")).toBeVisible();
});

test("a cohort that a question uses is not deleted, and the page says which question would widen", async ({ page }) => {
  const stamp = Date.now();
  const used = `Used cohort ${stamp}`;
  const unused = `Unused cohort ${stamp}`;
  const question = `Cohort question ${stamp}`;
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Search reports" }).click();
  await page.getByRole("searchbox").fill('"pleural effusion"');
  await page.getByRole("button", { name: "Search" }).click();
  for (const name of [used, unused]) {
    await page.getByLabel("Cohort name").fill(name);
    await page.getByRole("button", { name: "Save cohort" }).click();
    await expect(page.getByText("Cohort saved")).toBeVisible();
  }
  await page.getByRole("link", { name: "Project", exact: true }).click();
  await page.getByRole("link", { name: "Questions and rules" }).click();
  await newQuestion(page, question, "present, absent", used);
  await expect(page.locator(`tr[data-question="${question}"]`)).toContainText(used);

  await page.getByRole("link", { name: "← Project" }).click();
  await expect(page.getByText(/cannot be deleted: the question would silently cover every study/)).toBeVisible();
  const asked = answerDialog(page, true);
  await page.getByRole("button", { name: `Delete cohort ${used}` }).click();
  expect(await asked).toContain(`Delete the cohort ${used}?`);
  const cohorts = page.getByRole("region", { name: "Cohorts" });
  await expect(cohorts.getByRole("alert")).toContainText(`The cohort ${used} was not deleted: the question ${question} uses it`);
  await expect(cohorts.getByRole("alert")).toContainText(/would cover all \d+ studies of the project/);
  await expect(page.getByRole("link", { name: used, exact: true })).toBeVisible();

  // A cohort no question uses goes, once the fellow confirms.
  answerDialog(page, true);
  await page.getByRole("button", { name: `Delete cohort ${unused}` }).click();
  await expect(page.getByRole("link", { name: unused, exact: true })).toHaveCount(0);
  await expect(page.getByRole("link", { name: used, exact: true })).toBeVisible();
});

test("a question needs two different labels, and can be archived and restored", async ({ page }) => {
  const question = `Archive ${Date.now()}`;
  await openQuestions(page);
  await newQuestion(page, question, "present");
  await expect(page.getByRole("alert")).toContainText("a question needs at least two labels");
  await newQuestion(page, question, "present, Present");
  await expect(page.getByRole("alert")).toContainText("“Present” is listed twice");
  await expect(page.getByRole("link", { name: question })).toHaveCount(0);

  await newQuestion(page, question, "present, absent");
  const row = page.locator(`tr[data-question="${question}"]`);
  await expect(row).toBeVisible();
  let asked = answerDialog(page, false);
  await row.getByRole("button", { name: `Archive ${question}` }).click();
  expect(await asked).toContain("its rules, answers and label sets are kept");
  await expect(row).toBeVisible();

  asked = answerDialog(page, true);
  await row.getByRole("button", { name: `Archive ${question}` }).click();
  await asked;
  await expect(row).toHaveCount(0);
  const archived = page.getByTestId("archived-questions");
  await expect(archived.getByRole("button", { name: `Restore ${question}` })).toBeHidden();
  await archived.locator("summary").click();
  await archived.getByRole("button", { name: `Restore ${question}` }).click();
  await expect(page.locator(`tr[data-question="${question}"]`)).toBeVisible();
});

test("a fellow loads a cue preset into the form and sees what it would change before saving", async ({ page }) => {
  await openQuestions(page);
  const preset = page.getByLabel("Start from a preset");
  // The demo project reads with the default preset: loading it changes nothing.
  await preset.selectOption("Sieve radiology");
  await expect(page.getByTestId("preset-described")).toContainText("NegEx and ConText together");
  await page.getByRole("button", { name: "Load into the form" }).click();
  await expect(page.getByTestId("cue-difference")).toHaveText("No change from the saved lists.");
  // NegEx as published has no normal-modifiers: the difference says so, nothing is saved yet.
  await preset.selectOption("NegEx");
  await page.getByRole("button", { name: "Load into the form" }).click();
  const difference = page.getByTestId("cue-difference");
  await expect(difference).toContainText("Not saved yet");
  await expect(difference).toContainText(/Normal-modifiers: \d+ removed \(“normal”/);
  await expect(page.getByLabel("Normal-modifiers")).toHaveValue("");
  await expect(page.getByLabel("Pre-negation")).toHaveValue(/^absence of\ncannot\n/);
  // Typing in a list counts too.
  await page.getByLabel("Normal-modifiers").fill("normal");
  await expect(difference).not.toContainText("“normal”,");
  await page.reload();
  await expect(page.getByTestId("cue-difference")).toHaveText("No change from the saved lists.");
});

test("a save of the cue lists made after another tab's save is refused and loses nothing", async ({ browser }) => {
  const tabA = await (await browser.newContext()).newPage();
  const tabB = await (await browser.newContext()).newPage();
  await openQuestions(tabA);
  await openQuestions(tabB);
  const cue = `zqxw${Date.now()}`;
  const pseudoB = tabB.getByLabel("Pseudo-cues");
  await pseudoB.fill(`${await pseudoB.inputValue()}\n${cue}`);
  await tabB.getByRole("button", { name: "Save cues and sections" }).click();
  await expect(tabB.getByRole("status")).toContainText("Saved");
  const termination = tabA.getByLabel("Termination");
  await termination.fill(`${await termination.inputValue()}\nwhereas`);
  await tabA.getByRole("button", { name: "Save cues and sections" }).click();
  await expect(tabA.getByRole("alert")).toContainText("saved by someone else (or in another tab) after this page was loaded");
  // The refused tab keeps its unsaved edit in the form, and now compares it with what tab B
  // saved: saving it would also take B's cue out, and says so.
  await expect(termination).toHaveValue(/whereas/);
  const difference = tabA.getByTestId("cue-difference");
  await expect(difference).toContainText(`Pseudo-cues: 1 removed (“${cue}”)`);
  await expect(difference).toContainText("Termination: 1 added (“whereas”)");
  await tabA.reload();
  await expect(tabA.getByLabel("Pseudo-cues")).toHaveValue(new RegExp(cue));
  await expect(tabA.getByLabel("Termination")).not.toHaveValue(/whereas/);
});

test("after a change of the cue lists every report is read again, and emptying a list is asked first", async ({ page }) => {
  await openQuestions(page);
  // Emptying a whole list asks first; dismissed, nothing is saved.
  const preNegation = page.getByLabel("Pre-negation");
  const before = await preNegation.inputValue();
  await preNegation.fill("");
  const asked = answerDialog(page, false);
  await page.getByRole("button", { name: "Save cues and sections" }).click();
  expect(await asked).toContain("Save with nothing in: Pre-negation?");
  await expect(page.getByTestId("cue-difference")).toContainText("Not saved yet");
  await preNegation.fill(before);
  await expect(page.getByTestId("cue-difference")).toHaveText("No change from the saved lists.");

  const termination = page.getByLabel("Termination");
  await termination.fill(`${await termination.inputValue()}\nzqxv${Date.now()}`);
  await page.getByRole("button", { name: "Save cues and sections" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toContainText("once every report has been read again");
  // The background indexer reads the demo's 400 reports again within seconds: the notice, when
  // the page saw the labels of the earlier lists, ends by offering the new ones.
  await expect
    .poll(async () => (await page.getByTestId("reading-again").allInnerTexts()).join(" "), { timeout: 20_000 })
    .not.toContain("being read again");
  await page.reload();
  await expect(page.getByRole("heading", { name: "Questions", exact: true })).toBeVisible();
  await expect(page.getByLabel("Termination")).toHaveValue(/zqxv/);
  await page.waitForTimeout(2500);
  await expect(page.getByTestId("reading-again")).toHaveCount(0);
});
