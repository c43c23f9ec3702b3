import { expect, Page, test } from "@playwright/test";
import { gotoHydrated, signIn } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

/** Selects the first occurrence of `words` in the report text, as a person would with the mouse. */
async function selectInReport(page: Page, words: string) {
  const article = page.getByRole("article", { name: "Report text" });
  await article.evaluate((element, wanted) => {
    // The words may span several text nodes (the search highlights each word).
    const nodes: Text[] = [];
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text);
    const text = nodes.map((n) => n.data).join("");
    const start = text.toLowerCase().indexOf(wanted);
    if (start < 0) throw new Error(`"${wanted}" is not in the report`);
    const place = (offset: number): [Text, number] => {
      for (const node of nodes) {
        if (offset <= node.data.length) return [node, offset];
        offset -= node.data.length;
      }
      throw new Error("offset past the text");
    };
    const range = document.createRange();
    range.setStart(...place(start));
    range.setEnd(...place(start + wanted.length));
    const selection = window.getSelection()!;
    selection.removeAllRanges();
    selection.addRange(range);
    element.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
  }, words);
}

function ruleRow(page: Page, phrase: string) {
  return page.locator(`tr[data-rule="${phrase}"]`);
}

test("a fellow adds a phrase from a report, drags it above another and sees the counts change", async ({ page }) => {
  const question = `Pneumothorax ${Date.now()}`;
  // The coverage bars are drawn without inline styles, which the Content-Security-Policy refuses.
  const refusedByPolicy: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) refusedByPolicy.push(message.text());
  });
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Questions and rules" }).click();
  await expect(page.getByRole("heading", { name: "Questions", exact: true })).toBeVisible();
  await page.getByLabel("Question", { exact: true }).fill(question);
  await page.getByRole("button", { name: "Add question" }).click();
  await page.getByRole("link", { name: question }).click();
  await expect(page.getByRole("heading", { name: question })).toBeVisible();
  await expect(page.getByText("No rules yet")).toBeVisible();
  const rulesUrl = page.url();

  // A general rule first, typed.
  await page.getByLabel("Phrase", { exact: true }).fill("pneumothorax");
  await page.getByLabel("Label", { exact: true }).selectOption("present");
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(ruleRow(page, "pneumothorax")).toBeVisible();
  const present = Number((await page.locator('[data-label="present"]').innerText()).replace(/,/g, ""));
  expect(present).toBeGreaterThan(0);
  await expect(page.locator('[data-label="absent"]')).toHaveText("0");

  // A more specific phrase, selected in a report, added below it.
  await gotoHydrated(page, page.url().replace(/\/questions\/\d+$/, '/search?q=%22no+pneumothorax%22'));
  await page.locator(".result").first().getByRole("link").click();
  await expect(page.getByRole("heading", { name: "Add as phrase" })).toBeVisible();
  await selectInReport(page, "no pneumothorax");
  await expect(page.getByLabel("Phrase", { exact: true })).toHaveValue(/no pneumothorax/i);
  await page.getByLabel("Phrase", { exact: true }).fill("no pneumothorax");
  await page.getByLabel("Question", { exact: true }).selectOption({ label: question });
  await page.getByLabel("Label", { exact: true }).selectOption("absent");
  await page.getByLabel("Highest priority").uncheck();
  await page.getByRole("button", { name: "Add as phrase" }).click();
  await expect(page.getByRole("status")).toContainText("Added “no pneumothorax” → absent");

  // Below the general rule it labels nothing: every study it matches is taken already.
  await gotoHydrated(page, rulesUrl);
  await expect(ruleRow(page, "no pneumothorax").getByTestId("effective")).toHaveText("0");
  await expect(page.locator('[data-label="absent"]')).toHaveText("0");

  // Dragged above, it takes its studies: absent grows, present shrinks by as much.
  await ruleRow(page, "no pneumothorax").dragTo(ruleRow(page, "pneumothorax"));
  await expect(page.locator("table.rules tbody tr").first()).toHaveAttribute("data-rule", "no pneumothorax");
  await expect(page.locator('[data-label="absent"]')).not.toHaveText("0");
  const absent = Number((await page.locator('[data-label="absent"]').innerText()).replace(/,/g, ""));
  await expect(page.locator('[data-label="present"]')).toHaveText(String(present - absent));
  await expect(ruleRow(page, "no pneumothorax").getByTestId("effective")).toHaveText(String(absent));

  // The rule's reports show the phrase highlighted.
  await ruleRow(page, "no pneumothorax").getByRole("button", { name: "no pneumothorax" }).click();
  await expect(page.getByTestId("rule-reports").locator("mark").first()).toHaveText(/no pneumothorax/i);

  // Delete, then undo with the keyboard: the rule and its counts come back.
  await ruleRow(page, "no pneumothorax").getByRole("button", { name: "Delete" }).click();
  await expect(ruleRow(page, "no pneumothorax")).toHaveCount(0);
  await expect(page.locator('[data-label="absent"]')).toHaveText("0");
  await page.keyboard.press("Control+z");
  await expect(ruleRow(page, "no pneumothorax")).toBeVisible();
  await expect(page.locator('[data-label="absent"]')).toHaveText(String(absent));

  // The move is a version: comparing it with the one before lists the studies that flipped.
  await page.getByLabel("From").selectOption("2");
  await page.getByLabel("To").selectOption("3");
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page.getByTestId("flips")).toContainText("present");
  await expect(page.getByTestId("flips")).toContainText(String(absent));
  await page.goto(rulesUrl);
  await expect(page.getByRole("img", { name: /labeled without conflict, .* with a conflict, .* unlabeled, of .* studies/ })).toBeVisible();
  expect(refusedByPolicy).toEqual([]);
});

test("an affiliate cannot open the rules of a question", async ({ page }) => {
  await signIn(page, "affiliate");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("link", { name: "Questions and rules" })).toHaveCount(0);
  await gotoHydrated(page, page.url() + "/questions");
  await expect(page.getByRole("alert")).toContainText(/managing phrase rules needs the fellow role/i);
});

test("every control of the rules table does what it says: edit, view matches page by page, a duplicate refused, conflicts that add up", async ({ page }) => {
  const question = `Effusion ${Date.now()}`;
  await page.setViewportSize({ width: 1024, height: 768 });
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Questions and rules" }).click();
  await page.getByLabel("Question", { exact: true }).fill(question);
  await page.getByRole("button", { name: "Add question" }).click();
  await page.getByRole("link", { name: question }).click();
  await expect(page.getByRole("heading", { name: question })).toBeVisible();
  const add = async (phrase: string, label: string, negation = "any") => {
    await page.getByLabel("Phrase", { exact: true }).fill(phrase);
    await page.getByLabel("Label", { exact: true }).selectOption(label);
    await page.getByLabel("Negation", { exact: true }).selectOption(negation);
    await page.getByRole("button", { name: "Add rule" }).click();
  };
  await add("no pleural effusion", "absent");
  await expect(ruleRow(page, "no pleural effusion")).toBeVisible();
  await add("pleural effusion", "present");
  await expect(ruleRow(page, "pleural effusion")).toBeVisible();
  // The box empties once added, and the form starts afresh (no sections or mode carried over).
  await expect(page.getByLabel("Phrase", { exact: true })).toHaveValue("");
  await page.getByLabel("Sections").fill("IMPRESSION");
  await add("pleural fluid", "present", "affirmed");
  await expect(ruleRow(page, "pleural fluid")).toBeVisible();
  await expect(page.getByLabel("Sections")).toHaveValue("");
  await expect(page.getByLabel("Negation", { exact: true })).toHaveValue("any");
  await ruleRow(page, "pleural fluid").getByRole("button", { name: "Delete" }).click();
  await expect(ruleRow(page, "pleural fluid")).toHaveCount(0);

  // "pleural effusion" inside "no pleural effusion" above it is no conflict; the bar's parts add up.
  await expect(page.getByTestId("conflicted")).toHaveText("0");
  await expect(ruleRow(page, "pleural effusion").locator("td").nth(9)).toHaveText("0");
  const number = async (id: string) => Number((await page.getByTestId(id).innerText()).replace(/,/g, ""));
  expect((await number("labeled")) + (await number("conflicted")) + (await number("unlabeled"))).toBe(await number("studies"));
  await expect(page.getByTestId("conflict-meaning")).toContainText("not a conflict");

  // The same phrase again (other case and spacing) is refused by name, and the typed phrase stays.
  await add("Pleural  Effusion", "absent");
  await expect(page.getByRole("alert")).toContainText("is already rule 2");
  await expect(page.getByLabel("Phrase", { exact: true })).toHaveValue("Pleural  Effusion");
  await expect(page.locator("table.rules tbody tr")).toHaveCount(2);
  // Its preview says so too, rather than promising an add that would be refused.
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "is already rule 2" })).toHaveCount(2);
  // A preview of a new phrase replaces the refusal of what was sent before.
  await page.getByLabel("Phrase", { exact: true }).fill("blunted costophrenic angle");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview")).toContainText(/Matches [\d,]+ studies/);
  await expect(page.getByRole("alert")).toHaveCount(0);
  await page.getByLabel("Phrase", { exact: true }).fill("Pleural  Effusion");

  // Edit opens the rule in place; saving changes it.
  await ruleRow(page, "pleural effusion").getByRole("button", { name: "Edit" }).click();
  const editing = page.locator("tr.editing");
  await expect(editing).toBeVisible();
  await expect(editing.getByLabel("Phrase", { exact: true })).toHaveValue("pleural effusion");
  await editing.getByLabel("Phrase", { exact: true }).fill("pleural effus*");
  await editing.getByRole("button", { name: "Save" }).click();
  await expect(ruleRow(page, "pleural effus*")).toBeVisible();
  await expect(page.locator("tr.editing")).toHaveCount(0);

  // View matches: every page can be reached, and no code is shown as text.
  await ruleRow(page, "pleural effus*").getByRole("button", { name: "pleural effus*" }).click();
  await page.getByLabel(/All matches/).check();
  const pages = page.getByText(/ reports · page \d+ of \d+/);
  await expect(pages).toContainText("page 1 of");
  const total = Number((await pages.innerText()).match(/of (\d+)/)![1]);
  expect(total).toBeGreaterThan(1);
  await page.getByRole("button", { name: "Next →" }).click();
  await expect(pages).toContainText("page 2 of");
  await page.getByRole("button", { name: "← Previous" }).click();
  await expect(pages).toContainText("page 1 of");
  const shown = await page.locator("main").innerText();
  expect(shown).not.toMatch(/on:click|move \||\.update\(|=>/);

  // Delete: the undo notice is beside the table, in view.
  await ruleRow(page, "no pleural effusion").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Deleted" })).toBeInViewport();
  await page.getByRole("button", { name: /Undo/ }).click();
  await expect(ruleRow(page, "no pleural effusion")).toBeVisible();

  // Alt+↓ twice moves the same rule twice: the focus follows it.
  await ruleRow(page, "no pleural effusion").focus();
  await page.keyboard.press("Alt+ArrowDown");
  await expect(page.locator("table.rules tbody tr").nth(1)).toHaveAttribute("data-rule", "no pleural effusion");
  await expect(ruleRow(page, "no pleural effusion")).toBeFocused();
  await page.keyboard.press("Alt+ArrowUp");
  await expect(page.locator("table.rules tbody tr").first()).toHaveAttribute("data-rule", "no pleural effusion");

  // A second tab's edit of a rule changed since it opened is refused, and the change stands.
  const other = await page.context().newPage();
  await gotoHydrated(other, page.url());
  await ruleRow(page, "pleural effus*").getByRole("button", { name: "Edit" }).click();
  await page.locator("tr.editing").getByLabel("Sections").fill("IMPRESSION");
  await page.locator("tr.editing").getByRole("button", { name: "Save" }).click();
  await expect(ruleRow(page, "pleural effus*").locator("td.sections")).toHaveText("IMPRESSION");
  await ruleRow(other, "pleural effus*").getByRole("button", { name: "Edit" }).click();
  await other.locator("tr.editing").getByLabel("Label", { exact: true }).selectOption("uncertain");
  await other.locator("tr.editing").getByRole("button", { name: "Save" }).click();
  await expect(other.getByRole("alert")).toContainText("changed since you opened it");
  await other.close();
  await page.reload();
  await expect(ruleRow(page, "pleural effus*").locator("td.sections")).toHaveText("IMPRESSION");
  await expect(ruleRow(page, "pleural effus*").locator(".badge")).toHaveText("present");

  // At 1024 px the rules table fits its column: no sideways scrolling.
  const [table, room] = await page.locator("table.rules").evaluate((t) => [t.scrollWidth, t.parentElement!.clientWidth]);
  expect(table).toBeLessThanOrEqual(room);
});

test("a rule's checkbox goes back when the server refuses, and an open rules screen says when the reports were read again", async ({ browser }) => {
  const question = `Refused ${Date.now()}`;
  const tabA = await (await browser.newContext()).newPage();
  const tabB = await (await browser.newContext()).newPage();
  await signIn(tabA, "fellow");
  await tabA.getByRole("link", { name: DEMO_PROJECT }).click();
  await tabA.getByRole("link", { name: "Questions and rules" }).click();
  await tabA.getByLabel("Question", { exact: true }).fill(question);
  await tabA.getByRole("button", { name: "Add question" }).click();
  await tabA.getByRole("link", { name: question }).click();
  await tabA.getByLabel("Phrase", { exact: true }).fill("pleural effusion");
  await tabA.getByLabel("Negation", { exact: true }).selectOption("affirmed");
  await tabA.getByRole("button", { name: "Add rule" }).click();
  const boxA = ruleRow(tabA, "pleural effusion").getByRole("checkbox", { name: "Enable “pleural effusion”" });
  await expect(boxA).toBeChecked();
  // Tab B disables the rule; tab A, not reloaded, tries to disable it too and is refused.
  await signIn(tabB, "fellow");
  await gotoHydrated(tabB, new URL(tabA.url()).pathname);
  await ruleRow(tabB, "pleural effusion").getByRole("checkbox", { name: "Enable “pleural effusion”" }).uncheck();
  await expect(ruleRow(tabB, "pleural effusion")).toHaveClass(/disabled/);
  await boxA.click();
  await expect(tabA.getByRole("alert")).toContainText("The list below is current");
  // The refused tab now shows the rules as saved: disabled by tab B.
  await expect(ruleRow(tabA, "pleural effusion")).toHaveClass(/disabled/);
  await expect(boxA).not.toBeChecked();

  // Tab B changes the cue lists; tab A's rules screen, open all along, says its labels are old.
  await gotoHydrated(tabB, new URL(tabA.url()).pathname.replace(/\/questions\/\d+$/, "/questions"));
  const termination = tabB.getByLabel("Termination");
  await termination.fill(`${await termination.inputValue()}\nzqxr${Date.now()}`);
  await tabB.getByRole("button", { name: "Save cues and sections" }).click();
  await expect(tabB.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  const notice = tabA.getByTestId("reading-again");
  await expect(notice).toContainText("read again with new cue lists or section headers since these soft labels were shown", { timeout: 20_000 });
  await notice.getByRole("link", { name: "Show the new soft labels" }).click();
  await expect(tabA.getByRole("heading", { name: question })).toBeVisible();
  await expect(tabA.getByTestId("reading-again")).toHaveCount(0);
});
