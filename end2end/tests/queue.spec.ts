import { Browser, expect, Page } from "@playwright/test";
import { gotoHydrated, signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

/** As the fellow: a new question with one rule, and its queue built with `overlap` percent. */
async function fellowWithQueue(browser: Browser, question: string, phrase: string, overlap: string): Promise<Page> {
  const fellow = await (await browser.newContext()).newPage();
  await signIn(fellow, "fellow");
  await fellow.getByRole("link", { name: DEMO_PROJECT }).click();
  await fellow.getByRole("link", { name: "Questions and rules" }).click();
  await fellow.getByLabel("Question", { exact: true }).fill(question);
  await fellow.getByRole("button", { name: "Add question" }).click();
  await fellow.getByRole("link", { name: question }).click();
  await fellow.getByLabel("Phrase", { exact: true }).fill(phrase);
  await fellow.getByLabel("Label", { exact: true }).selectOption("present");
  await fellow.getByRole("button", { name: "Add rule" }).click();
  await expect(fellow.locator(`tr[data-rule="${phrase}"]`)).toBeVisible();
  await fellow.getByRole("link", { name: "Queue and agreement" }).click();
  await fellow.getByLabel("Overlap (% of studies)").fill(overlap);
  await fellow.getByLabel("Gold items (% of served)").fill("0");
  await fellow.getByRole("button", { name: /Build the queue/ }).click();
  await expect(fellow.getByRole("status")).toContainText(/Queued \d+ studies/);
  return fellow;
}

/** As the affiliate: the labeling page of `question`. */
async function affiliateQueue(browser: Browser, question: string): Promise<Page> {
  const affiliate = await (await browser.newContext()).newPage();
  await signIn(affiliate, "affiliate");
  await affiliate.getByRole("link", { name: DEMO_PROJECT }).click();
  await affiliate.getByRole("link", { name: `Label ${question}` }).click();
  await expect(affiliate.getByRole("heading", { name: question })).toBeVisible();
  return affiliate;
}

test("an affiliate labels five studies with the keyboard, undoes one, and the fellow's dashboard counts them", async ({ browser }) => {
  const question = `Effusion ${Date.now()}`;
  const fellow = await fellowWithQueue(browser, question, "effusion", "0");
  const affiliate = await affiliateQueue(browser, question);
  // The rule's phrase is marked in the report, and its soft label is pre-selected.
  await expect(affiliate.getByRole("article", { name: "Report text" }).locator("mark").first()).toHaveText(/effusion/i);
  await expect(affiliate.getByRole("button", { name: /present/ })).toHaveAttribute("aria-pressed", "true");

  const seen: string[] = [];
  for (let n = 1; n <= 5; n++) {
    const accession = await affiliate.getByTestId("queue-accession").innerText();
    seen.push(accession);
    // Every other study is corrected to "absent" with key 2 (the fifth too); the rest confirmed as suggested.
    if (n % 2 === 1) await affiliate.keyboard.press("2");
    await affiliate.keyboard.press("Enter");
    await expect(affiliate.getByTestId("queue-progress")).toContainText(`Done today ${n}`);
    await expect(affiliate.getByTestId("queue-accession")).not.toHaveText(accession);
  }
  expect(new Set(seen).size).toBe(5);

  // U takes back the last answer and shows that study again, with the answer taken back named
  // and selected (not the suggestion).
  await affiliate.keyboard.press("u");
  await expect(affiliate.getByTestId("queue-accession")).toHaveText(seen[4]);
  await expect(affiliate.getByTestId("taken-back")).toHaveText(`Took back your answer “absent” to ${seen[4]}: it is selected below; change it or confirm it again.`);
  await expect(affiliate.getByRole("button", { name: /absent/ })).toHaveAttribute("aria-pressed", "true");
  await expect(affiliate.getByTestId("queue-progress")).toContainText("Done today 4");

  await fellow.reload();
  await expect(fellow.getByTestId("answers")).toHaveText("4");
  await expect(fellow.getByTestId("raters").getByRole("row", { name: /affiliate/ }).getByTestId("rater-answers")).toHaveText("4");
  // The rules scored against these answers: the rule said "present" for all four, people said
  // "present" twice: precision 0.5, recall 1, F1 2/3; the two corrected studies are listed.
  const evaluation = fellow.getByTestId("evaluation");
  await expect(evaluation.getByTestId("evaluation-f1")).toHaveText("0.667");
  const disagreements = evaluation.getByTestId("evaluation-disagreements");
  await expect(disagreements.getByRole("link", { name: seen[0] })).toBeVisible();
  await expect(disagreements.getByRole("link", { name: seen[2] })).toBeVisible();
  await expect(disagreements.getByRole("row")).toHaveCount(3);
  // Scored for "absent" instead, the rules find none of the two.
  await evaluation.getByLabel("Positive label").selectOption("absent");
  await expect(evaluation.getByTestId("evaluation-f1")).toHaveText("0.000");
});

test("two answers that differ become a disagreement the fellow settles by keyboard, and a double click settles one", async ({ browser }) => {
  const question = `Edema ${Date.now()}`;
  const fellow = await fellowWithQueue(browser, question, "edema", "100");
  const dashboard = fellow.url();
  const affiliate = await affiliateQueue(browser, question);
  const studies: string[] = [];
  for (let n = 1; n <= 2; n++) {
    studies.push(await affiliate.getByTestId("queue-accession").innerText());
    await affiliate.keyboard.press("2");
    await affiliate.keyboard.press("Enter");
    await expect(affiliate.getByTestId("queue-progress")).toContainText(`Done today ${n}`);
  }

  // The fellow answers the same studies (each needs two answers) with the suggested label.
  await fellow.getByRole("link", { name: "Label this queue yourself" }).click();
  for (let n = 1; n <= 2; n++) {
    await expect(fellow.getByTestId("queue-accession")).toHaveText(studies[n - 1]);
    await fellow.keyboard.press("Enter");
    await expect(fellow.getByTestId("queue-progress")).toContainText(`Done today ${n}`);
  }

  await fellow.goto(dashboard);
  await expect(fellow.getByTestId("disagreements")).toContainText(studies[0]);
  await fellow.getByRole("link", { name: /Settle them one by one/ }).click();
  await expect(fellow.getByTestId("dispute-place")).toHaveText("Disagreement 1 of 2 · settled this visit: 0");
  await expect(fellow.getByTestId("dispute-answers")).toContainText("affiliate: absent");
  await fellow.locator("html[data-hydrated]").waitFor({ state: "attached" });
  // A double click settles one study, and the count says so.
  await fellow.getByRole("group", { name: "Decide" }).getByRole("button", { name: /absent/ }).dblclick();
  await expect(fellow.getByTestId("dispute-place")).toHaveText("Disagreement 1 of 1 · settled this visit: 1");
  await fellow.keyboard.press("2");
  await expect(fellow.getByTestId("no-disputes")).toBeVisible();
  await fellow.goto(dashboard);
  await expect(fellow.getByTestId("no-disagreements")).toBeVisible();
  await expect(fellow.getByTestId("final-sources").getByRole("row", { name: /adjudicated/ })).toContainText("a fellow settled it");
  await expect(fellow.getByTestId("final-sources").getByRole("row", { name: /adjudicated/ }).getByRole("cell").nth(1)).toHaveText("2");
});

/** As the fellow: labels the study the queue serves them (expected to be `study`) as suggested. */
async function fellowConfirms(fellow: Page, study: string) {
  await fellow.getByRole("link", { name: "Label this queue yourself" }).click();
  await expect(fellow.getByTestId("queue-accession")).toHaveText(study);
  await fellow.keyboard.press("Enter");
  await expect(fellow.getByTestId("queue-progress")).toContainText("Done today 1");
}

/** As the fellow, on the dashboard: the affiliate's recorded answer to `study`, as its disagreement shows it. */
async function expectAffiliateAnswer(fellow: Page, dashboard: string, study: string, label: string) {
  await fellow.goto(dashboard);
  const row = fellow.getByTestId("disagreements").getByRole("row", { name: new RegExp(study) });
  await expect(row).toContainText(`affiliate: ${label}`);
}

const REFUSED = "This study is no longer yours to answer — it was answered in another tab, decided by the fellow, or its claim expired; here is your current study.";

test("two tabs of one affiliate: the later answer to the same study is refused, the tab moves to the study held, and the first answer stands", async ({ browser }) => {
  const question = `Effusion tabs ${Date.now()}`;
  // Every study needs two answers, so the fellow's answer later shows the affiliate's beside it.
  const fellow = await fellowWithQueue(browser, question, "effusion", "100");
  const dashboard = fellow.url();
  const tabOne = await affiliateQueue(browser, question);
  const tabTwo = await tabOne.context().newPage();
  await gotoHydrated(tabTwo, tabOne.url());
  const study = await tabOne.getByTestId("queue-accession").innerText();
  await expect(tabTwo.getByTestId("queue-accession")).toHaveText(study);

  // Tab 1 answers "absent" (key 2).
  await tabOne.bringToFront();
  await tabOne.keyboard.press("2");
  await tabOne.keyboard.press("Enter");
  await expect(tabOne.getByTestId("queue-progress")).toContainText("Done today 1");
  await expect(tabOne.getByTestId("queue-accession")).not.toHaveText(study);
  const current = await tabOne.getByTestId("queue-accession").innerText();

  // Tab 2, still showing the same study, confirms the suggested "present": refused.
  await tabTwo.bringToFront();
  // Scrolled down to the answer buttons, as one is after reading a report.
  await tabTwo.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await tabTwo.keyboard.press("Enter");
  await expect(tabTwo.getByRole("alert")).toHaveText(REFUSED);
  await expect(tabTwo.getByRole("alert")).toBeInViewport();
  await expect(tabTwo.getByTestId("queue-accession")).toHaveText(current);
  await expect(tabTwo.getByTestId("queue-progress")).toContainText("Done today 1");
  // Its next answer, to the study it now shows, is recorded and the message goes.
  await tabTwo.keyboard.press("Enter");
  await expect(tabTwo.getByTestId("queue-progress")).toContainText("Done today 2");
  await expect(tabTwo.getByRole("alert")).toHaveCount(0);

  await fellowConfirms(fellow, study);
  await expectAffiliateAnswer(fellow, dashboard, study, "absent");
});

test("a labeling page restored by Back answers nothing: the answer is refused and the page moves to the study held", async ({ browser }) => {
  const question = `Effusion back ${Date.now()}`;
  const fellow = await fellowWithQueue(browser, question, "effusion", "100");
  const dashboard = fellow.url();
  const affiliate = await affiliateQueue(browser, question);
  const labelPath = new URL(affiliate.url()).pathname;
  const projectPath = labelPath.replace(/\/label\/.*/, "");
  // Going Back shows the page as it was first served (as a browser's history cache does), whatever
  // the server would send now.
  let firstServed: { status: number; headers: Record<string, string>; body: Buffer } | undefined;
  await affiliate.route(
    (url) => url.pathname === labelPath,
    async (route) => {
      if (route.request().resourceType() !== "document") return route.continue();
      if (!firstServed) {
        const response = await route.fetch();
        firstServed = { status: response.status(), headers: response.headers(), body: await response.body() };
      }
      await route.fulfill(firstServed);
    },
  );
  await gotoHydrated(affiliate, labelPath);
  const study = await affiliate.getByTestId("queue-accession").innerText();
  await affiliate.keyboard.press("2");
  await affiliate.keyboard.press("Enter");
  await expect(affiliate.getByTestId("queue-progress")).toContainText("Done today 1");
  await expect(affiliate.getByTestId("queue-accession")).not.toHaveText(study);
  const current = await affiliate.getByTestId("queue-accession").innerText();

  await gotoHydrated(affiliate, projectPath);
  await affiliate.goBack();
  await affiliate.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(affiliate.getByTestId("queue-accession")).toHaveText(study);
  await affiliate.keyboard.press("Enter");
  await expect(affiliate.getByRole("alert")).toHaveText(REFUSED);
  await expect(affiliate.getByTestId("queue-accession")).toHaveText(current);
  await expect(affiliate.getByTestId("queue-progress")).toContainText("Done today 1");

  await fellowConfirms(fellow, study);
  await expectAffiliateAnswer(fellow, dashboard, study, "absent");
});

test("the dashboard says what each number counts, and the overlap is the share asked for", async ({ browser }) => {
  const question = `Effusion overlap ${Date.now()}`;
  const fellow = await fellowWithQueue(browser, question, "effusion", "30");
  const built = await fellow.getByRole("status").innerText();
  // An emptied number is stopped by the browser, not sent and reported as a lost connection.
  let sent = 0;
  fellow.on("request", (request) => { if (request.url().includes("/api/build_queue")) sent += 1; });
  await fellow.getByLabel("Overlap (% of studies)").fill("");
  await fellow.getByRole("button", { name: /Build the queue/ }).click();
  expect(await fellow.getByLabel("Overlap (% of studies)").evaluate((input: HTMLInputElement) => input.validity.valueMissing)).toBe(true);
  await expect(fellow.getByText("Could not reach the server")).toHaveCount(0);
  expect(sent).toBe(0);
  await fellow.reload();
  const [, queued, overlapped] = built.replace(/,/g, "").match(/Queued (\d+) studies \((\d+) labeled by several/)!.map(Number);
  expect(Math.abs(overlapped - 0.3 * queued)).toBeLessThanOrEqual(0.5);
  const facts = fellow.getByTestId("queue-facts");
  await expect(facts).toContainText(`${overlapped} of them (${Math.round((overlapped * 100) / queued)} %) in the overlap, each answered by 2 different raters`);
  await expect(facts).toContainText("Studies with every answer they need");
  // What the queue still needs, as the labeling page says it: every queued study once, overlap ones twice.
  await expect(fellow.getByTestId("still-needed")).toHaveText(String(queued + overlapped));
  await expect(facts).toContainText(`of the ${queued + overlapped} answers the queued studies need in all`);
  await expect(facts).toContainText("a study in the overlap counts once per rater");
});

test("an affiliate with nothing left is told why, and the project page's counts are fresh after Back", async ({ browser }) => {
  const question = `Depressed fracture ${Date.now()}`;
  // Two studies say "depressed fracture"; each needs two different affiliates.
  await fellowWithQueue(browser, question, "depressed fracture", "100");
  const affiliate = await (await browser.newContext()).newPage();
  await signIn(affiliate, "affiliate");
  await affiliate.getByRole("link", { name: DEMO_PROJECT }).click();
  const row = affiliate.getByTestId("queues").getByRole("row", { name: new RegExp(question) });
  const cells = row.getByRole("cell");
  await expect(cells.nth(1)).toHaveText("0");
  await expect(cells.nth(3)).toHaveText("4");
  await row.getByRole("link", { name: `Label ${question}` }).click();
  for (let n = 1; n <= 2; n++) {
    await expect(affiliate.getByTestId("queue-accession")).toBeVisible();
    await affiliate.keyboard.press("Enter");
    await expect(affiliate.getByTestId("queue-progress")).toContainText(`Done today ${n}`);
  }
  // Not "nothing left" beside a count that says otherwise: the rest needs someone else.
  await expect(affiliate.getByTestId("queue-empty")).toContainText(
    "Nothing left for you in this queue. It still needs 2 answers from other raters: a study in the overlap is answered by 2 different raters",
  );
  await expect(affiliate.getByTestId("queue-progress")).toContainText("the queue still needs 2 answers from any rater");

  await affiliate.goBack();
  await expect(affiliate.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await expect(cells.nth(1)).toHaveText("2");
  await expect(cells.nth(2)).toHaveText("2");
  await expect(cells.nth(3)).toHaveText("2");

  // The fellow labels one of the two: opening it does not change what the queue still needs.
  const fellow = await (await browser.newContext()).newPage();
  await signIn(fellow, "fellow");
  await fellow.getByRole("link", { name: DEMO_PROJECT }).click();
  await fellow.getByTestId("queues").getByRole("row", { name: new RegExp(question) }).getByRole("link", { name: `Label ${question}` }).click();
  await expect(fellow.getByTestId("queue-progress")).toContainText("the queue still needs 2 answers");
  await affiliate.reload();
  await expect(cells.nth(3)).toHaveText("2");
  await fellow.keyboard.press("Enter");
  await expect(fellow.getByTestId("queue-progress")).toContainText("the queue still needs 1 answer from any rater");

  // A rebuild after answers asks first; declined, nothing is sent.
  await fellow.goBack();
  await fellow.getByTestId("queues").getByRole("row", { name: new RegExp(question) }).getByRole("link", { name: "Dashboard" }).click();
  await fellow.locator("html[data-hydrated]").waitFor({ state: "attached" });
  let asked = "";
  fellow.once("dialog", (dialog) => { asked = dialog.message(); dialog.dismiss(); });
  await fellow.getByRole("button", { name: "Rebuild the queue from the current soft labels" }).click();
  await expect.poll(() => asked).toContain("The 3 answers given are kept");
  await expect(fellow.getByRole("status")).toHaveCount(0);
});

for (const [width, height] of [[1280, 720], [1366, 768], [1920, 1080], [390, 844]]) {
  test(`the labeling page keeps the answer keys and Confirm in view at ${width}×${height}`, async ({ browser }) => {
    const question = `Consolidation ${width} ${Date.now()}`;
    await fellowWithQueue(browser, question, "consolidation", "0");
    const affiliate = await (await browser.newContext({ viewport: { width, height } })).newPage();
    await signIn(affiliate, "affiliate");
    await affiliate.getByRole("link", { name: DEMO_PROJECT }).click();
    await affiliate.getByRole("link", { name: `Label ${question}` }).click();
    await expect(affiliate.getByTestId("queue-accession")).toBeVisible();
    const panel = affiliate.getByTestId("answer-panel");
    for (const scrolled of [false, true]) {
      // At the top, as the page opens, and after reading down to the end of the report.
      if (scrolled) await affiliate.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await expect(panel.getByRole("button", { name: /present/ })).toBeInViewport({ ratio: 1 });
      await expect(panel.getByRole("button", { name: /absent/ })).toBeInViewport({ ratio: 1 });
      await expect(panel.getByRole("button", { name: "Confirm (Enter)" })).toBeInViewport({ ratio: 1 });
    }
    // The report is not pushed off the screen by the panel either.
    await affiliate.evaluate(() => window.scrollTo(0, 0));
    await expect(affiliate.getByRole("article", { name: "Report text" })).toBeInViewport();
  });
}

test("the labeling screen marks the evidence of the rule that gave the soft label, not of a disabled one with the same phrase", async ({ browser }) => {
  const question = `Pneumothorax evidence ${Date.now()}`;
  const fellow = await (await browser.newContext()).newPage();
  await signIn(fellow, "fellow");
  await fellow.getByRole("link", { name: DEMO_PROJECT }).click();
  await fellow.getByRole("link", { name: "Questions and rules" }).click();
  await fellow.getByLabel("Question", { exact: true }).fill(question);
  await fellow.getByRole("button", { name: "Add question" }).click();
  await fellow.getByRole("link", { name: question }).click();
  await gotoHydrated(fellow, fellow.url());
  // First an affirmed-only rule (a negated mention does not count for it), then disabled …
  await fellow.getByLabel("Phrase", { exact: true }).fill("pneumothorax");
  await fellow.getByLabel("Label", { exact: true }).selectOption("present");
  await fellow.getByLabel("Negation", { exact: true }).selectOption("affirmed");
  await fellow.getByRole("button", { name: "Add rule" }).click();
  await expect(fellow.locator('tr[data-rule="pneumothorax"]')).toHaveCount(1);
  // … and the rule that labels: a negated mention makes "absent".
  await fellow.getByLabel("Phrase", { exact: true }).fill("pneumothorax");
  await fellow.getByLabel("Label", { exact: true }).selectOption("present");
  await fellow.getByLabel("Negation", { exact: true }).selectOption("route");
  await fellow.getByLabel("If negated").selectOption("absent");
  await fellow.getByRole("button", { name: "Add rule" }).click();
  const rules = fellow.locator('tr[data-rule="pneumothorax"]');
  await expect(rules).toHaveCount(2);
  await rules.first().getByRole("checkbox", { name: "Enable “pneumothorax”" }).uncheck();
  await expect(rules.first()).toHaveClass(/disabled/);

  await fellow.getByRole("link", { name: "Queue and agreement" }).click();
  await fellow.getByLabel("Overlap (% of studies)").fill("0");
  await fellow.getByLabel("Gold items (% of served)").fill("0");
  await fellow.getByLabel("Soft labels to queue (empty: all)").fill("absent");
  await fellow.getByRole("button", { name: /Build the queue/ }).click();
  await expect(fellow.getByRole("status")).toContainText(/Queued \d+ studies/);

  const affiliate = await affiliateQueue(browser, question);
  await expect(affiliate.getByRole("button", { name: /absent/ })).toHaveAttribute("aria-pressed", "true");
  // The negated mention is what gave "absent": drawn as negated evidence, not struck out as ignored.
  const mention = affiliate.getByRole("article", { name: "Report text" }).locator("mark", { hasText: /pneumothorax/i }).first();
  await expect(mention).toHaveClass(/negated/);
  await expect(mention).not.toHaveClass(/ignored/);
});

/** As `page` (a fellow): imports one JSON-lines report through the import page. */
async function importReport(page: Page, accession: string, text: string, expected: string) {
  await gotoHydrated(page, "/");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Import reports" }).click();
  const line = JSON.stringify({
    accession, patient_id: `MRN-${accession}`, study_date: "2024-05-06", exam_code: "XRCHEST2V",
    modality: "CR", body_part: "CHEST", report_text: text,
  });
  await page.getByLabel("File").setInputFiles({ name: "report.jsonl", mimeType: "application/json", buffer: Buffer.from(line + "\n") });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toContainText(expected);
}

test("an answer given before its report was corrected stops counting and is listed for the fellow to decide", async ({ browser }) => {
  const stamp = Date.now();
  const accession = `E2E-CORR-${stamp}`;
  const importer = await (await browser.newContext()).newPage();
  await signIn(importer, "fellow");
  await importReport(importer, accession, `FINDINGS: Capybara${stamp} sign in the left base.`, "1 new");

  const question = `Capybara ${stamp}`;
  const fellow = await fellowWithQueue(browser, question, `capybara${stamp}`, "0");
  const dashboard = fellow.url();
  const affiliate = await affiliateQueue(browser, question);
  await expect(affiliate.getByTestId("queue-accession")).toHaveText(accession);
  await affiliate.keyboard.press("Enter");
  await expect(affiliate.getByTestId("queue-progress")).toContainText("Done today 1");
  await fellow.reload();
  await expect(fellow.getByTestId("answers")).toHaveText("1");

  // The report is corrected: the affiliate's "present" was given on other text.
  await importReport(importer, accession, `CORRECTED: No capybara${stamp} sign; the finding was an artefact.`, "1 updated");
  await gotoHydrated(fellow, dashboard);
  const review = fellow.getByTestId("before-amendment");
  await expect(review).toContainText(accession);
  await expect(review).toContainText("affiliate");
  await expect(fellow.getByTestId("answers")).toHaveText("0");
  await expect(fellow.getByTestId("review-pointer")).toContainText("1 answer given before its report changed needs review");
  // The affiliate is served the study again, first, told why, with their answer selected.
  await affiliate.reload();
  await expect(affiliate.getByTestId("queue-accession")).toHaveText(accession);
  await expect(affiliate.getByTestId("report-changed")).toContainText(`The text of report ${accession} changed after you answered`);
  await expect(affiliate.getByRole("article", { name: "Report text" })).toContainText("CORRECTED");
  // Nothing is chosen in advance from the earlier text, and no soft label from it is suggested.
  await expect(affiliate.locator("button.answer[aria-pressed=true]")).toHaveCount(0);
  await expect(affiliate.getByText("(suggested)")).toHaveCount(0);
  // Times are kept in whole seconds, and a decision in the same second as the correction is taken
  // as made before it (it would be listed again): a person takes longer than that to read.
  await fellow.waitForTimeout(1100);
  await review.getByRole("button", { name: "absent" }).click();
  await expect(fellow.getByTestId("before-amendment")).toHaveCount(0);
  await expect(fellow.getByTestId("final-sources").getByRole("row", { name: /adjudicated/ }).getByRole("cell").nth(1)).toHaveText("1");
  // The affiliate answers the changed study still on screen, then takes the answer back: it is
  // selected again, as the message says.
  await affiliate.keyboard.press("1");
  await affiliate.keyboard.press("Enter");
  await expect(affiliate.getByTestId("report-changed")).toHaveCount(0);
  await affiliate.keyboard.press("u");
  await expect(affiliate.getByTestId("taken-back")).toContainText("it is selected below");
  await expect(affiliate.locator("button.answer[aria-pressed=true]")).toHaveCount(1);
});

test("an accession without digits pasted into the search box leads to its report", async ({ browser }) => {
  const letters = Date.now().toString().replace(/\d/g, (d) => "ABCDEFGHIJ"[Number(d)]);
  const accession = `E2E-IMP-${letters}`;
  const page = await (await browser.newContext()).newPage();
  await signIn(page, "fellow");
  await importReport(page, accession, "FINDINGS: Clear lungs.", "1 new");
  await gotoHydrated(page, "/");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Search reports" }).click();
  await page.getByRole("searchbox").fill(accession);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("by-accession")).toContainText(`${accession} is a study's accession`);
});
