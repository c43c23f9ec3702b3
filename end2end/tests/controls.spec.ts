// Every control of every page, used once after hydration, with what the screen shows afterwards
// (issue 13). The rules, search and fellow's question and cohort screens have their own specs
// (rules.spec.ts, search.spec.ts, fellow.spec.ts); the sign-in form and the keyboard shortcuts are in
// sign_in.spec.ts, cancelling a job in training.spec.ts. Each page here is guarded (helpers.ts): a
// console error, an uncaught exception or code shown as text fails the test.
import { Browser, expect, Page } from "@playwright/test";
import { gotoHydrated, guardPage, PageGuard, signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

/** A new signed-in page of its own browser context, guarded like the test's own page. */
async function signedIn(browser: Browser, user: "admin" | "fellow" | "affiliate" | "scientist"): Promise<[Page, PageGuard]> {
  const page = await (await browser.newContext()).newPage();
  const guard = guardPage(page);
  await signIn(page, user);
  return [page, guard];
}

/** The demo project's page, as `page`'s user, hydrated. */
async function openDemoProject(page: Page) {
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await gotoHydrated(page, page.url());
}

/** Imports reports whose text holds `word` (one per accession) through the REST API, as `page`'s user. */
async function importReports(page: Page, projectPath: string, word: string, accessions: string[]) {
  const lines = accessions.map((accession, at) =>
    JSON.stringify({
      accession, patient_id: `MRN-${accession}`, study_date: "2024-05-06", exam_code: "XRCHEST2V", modality: "CR",
      body_part: "CHEST", report_text: `FINDINGS: ${word} number ${at + 1}. IMPRESSION: ${word}.`,
    }),
  );
  const response = await page.request.post(`/api/v1${projectPath}/imports?filename=controls.jsonl`, {
    // A state-changing request from this site's pages carries its origin (see server/src/csrf.rs).
    headers: { "Content-Type": "application/octet-stream", Origin: new URL(page.url()).origin },
    data: Buffer.from(lines.join("\n") + "\n"),
  });
  expect(response.status()).toBe(200);
}

/**
 * As the fellow: three new reports holding a word no other report has, a question whose one rule
 * labels them "present", and its queue built with every study answered twice. Returns the
 * fellow's page on the queue dashboard, the question and the three accessions.
 */
async function questionWithQueue(browser: Browser): Promise<{ fellow: Page; fellowGuard: PageGuard; question: string; accessions: string[] }> {
  const stamp = Date.now();
  const word = `zorbital${stamp}`;
  const question = `Controls ${stamp}`;
  const accessions = [`CTL-${stamp}-1`, `CTL-${stamp}-2`, `CTL-${stamp}-3`];
  const [fellow, fellowGuard] = await signedIn(browser, "fellow");
  await openDemoProject(fellow);
  await importReports(fellow, new URL(fellow.url()).pathname, word, accessions);
  await fellow.getByRole("link", { name: "Questions and rules" }).click();
  await fellow.getByLabel("Question", { exact: true }).fill(question);
  await fellow.getByRole("button", { name: "Add question" }).click();
  await fellow.getByRole("link", { name: question }).click();
  await fellow.getByLabel("Phrase", { exact: true }).fill(word);
  await fellow.getByLabel("Label", { exact: true }).selectOption("present");
  await fellow.getByRole("button", { name: "Add rule" }).click();
  await expect(fellow.locator(`tr[data-rule="${word}"]`)).toBeVisible();
  await fellow.getByRole("link", { name: "Queue and agreement" }).click();
  await gotoHydrated(fellow, fellow.url());
  await fellow.getByLabel("Overlap (% of studies)").fill("100");
  await fellow.getByLabel("Gold items (% of served)").fill("0");
  await fellow.getByRole("button", { name: /Build the queue/ }).click();
  await expect(fellow.getByRole("status")).toHaveText("Queued 3 studies (3 labeled by several raters).");
  await fellowGuard.check();
  return { fellow, fellowGuard, question, accessions };
}

test("a path that names nothing says so, and its link goes back to the projects", async ({ page, guard }) => {
  await signIn(page, "scientist");
  guard.allow(/status of 404/);
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to your projects" }).click();
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
});

test("the top bar and the projects list: each link opens the page it names", async ({ page, guard }) => {
  await signIn(page, "admin");
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await nav.getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { name: "Administration" })).toBeVisible();
  await nav.getByRole("link", { name: "Projects" }).click();
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
  await page.getByRole("link", { name: "Sieve" }).click();
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
  await guard.check();
  // The admin is no member of the demo project: the list says how to get one, or shows others.
  await page.context().clearCookies();
  await signIn(page, "scientist");
  await page.getByRole("list", { name: "Projects" }).getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await expect(page.getByText("DEMO-2026-001")).toBeVisible();
  await page.getByRole("link", { name: "Projects", exact: true }).first().click();
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();
});

test("the project page: each link opens its page, and a cohort is deleted only once confirmed", async ({ page, guard }) => {
  await signIn(page, "fellow");
  await openDemoProject(page);
  const home = page.url();
  for (const [link, heading] of [
    ["Search reports", "Search reports"],
    ["Questions and rules", "Questions"],
    ["Import reports", "Import reports"],
    ["Label sets", "Label sets"],
    ["Training jobs", "Training jobs"],
  ]) {
    await gotoHydrated(page, home);
    await page.getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByRole("heading", { name: heading, exact: true })).toBeVisible();
    await guard.check();
  }
  await gotoHydrated(page, home);
  await page.locator(".breadcrumbs").getByRole("link", { name: "Projects" }).click();
  await expect(page.getByRole("heading", { name: "Your projects" })).toBeVisible();

  // A cohort to open and delete (saving one belongs to search.spec.ts).
  const name = `Cohort controls ${Date.now()}`;
  await gotoHydrated(page, `${new URL(home).pathname}/search?q=effusion`);
  await page.getByLabel("Cohort name").fill(name);
  await page.getByRole("button", { name: "Save cohort" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Cohort saved" })).toBeVisible();
  await gotoHydrated(page, home);
  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name: "Search reports" })).toBeVisible();
  await expect(page.getByRole("searchbox")).toHaveValue("effusion");
  await gotoHydrated(page, home);
  page.once("dialog", (dialog) => dialog.dismiss());
  await row.getByRole("button", { name: `Delete cohort ${name}` }).click();
  await expect(row).toBeVisible();
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); return dialog.accept(); });
  await row.getByRole("button", { name: `Delete cohort ${name}` }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
  expect(asked).toContain(`Delete the cohort ${name}?`);
});

test("the import page: a file imported empties the form, and its link opens the search", async ({ page }) => {
  await signIn(page, "fellow");
  await openDemoProject(page);
  await page.getByRole("link", { name: "Import reports" }).click();
  await gotoHydrated(page, page.url());
  const stamp = Date.now();
  const line = JSON.stringify({
    accession: `CTL-IMPORT-${stamp}`, patient_id: "MRN-1", study_date: "2024-05-06", exam_code: "XRCHEST2V",
    modality: "CR", body_part: "CHEST", report_text: `FINDINGS: quillwort${stamp}.`,
  });
  await page.getByLabel("File").setInputFiles({ name: "one.jsonl", mimeType: "application/json", buffer: Buffer.from(line + "\n") });
  await page.getByLabel(/Skip invalid records/).check();
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toHaveText(/Imported: 1 new, 0 updated, 0 unchanged\./);
  // Imported once: the same file is not sent again by a second click.
  await expect(page.getByLabel("File")).toHaveValue("");
  await expect(page.getByLabel(/Skip invalid records/)).not.toBeChecked();
  await page.getByRole("link", { name: "Search the reports" }).click();
  await expect(page.getByRole("heading", { name: "Search reports" })).toBeVisible();
  await page.goBack();
  await page.locator(".breadcrumbs").getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
});

test("the report viewer: previous, next and back move through the results; a selected phrase is previewed and added", async ({ page }) => {
  await signIn(page, "fellow");
  await openDemoProject(page);
  await gotoHydrated(page, `${new URL(page.url()).pathname}/search?q=effusion`);
  await page.locator(".result-title").first().click();
  await expect(page.getByText(/^Result 1 of \d+$/)).toBeVisible();
  await gotoHydrated(page, page.url());
  const first = await page.getByRole("heading", { level: 1 }).innerText();
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page.getByText(/^Result 2 of \d+$/)).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).not.toHaveText(first);
  await page.getByRole("link", { name: "← Previous" }).click();
  await expect(page.getByText(/^Result 1 of \d+$/)).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(first);

  // A phrase no report holds: previewed, added once (the box then empties), its rules a link away.
  const phrase = `glimmerfen ${Date.now()}`;
  await page.getByLabel("Phrase", { exact: true }).fill(phrase);
  await page.getByLabel("Question", { exact: true }).selectOption({ label: "Pleural effusion" });
  await page.getByLabel("Label", { exact: true }).selectOption("present");
  await page.getByLabel(/Highest priority/).check();
  await page.getByLabel(/Highest priority/).uncheck();
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByRole("status")).toContainText("Would match 0 studies");
  await page.getByRole("button", { name: "Add as phrase" }).click();
  await expect(page.getByRole("status")).toContainText(`Added “${phrase}” → present to Pleural effusion`);
  await expect(page.getByLabel("Phrase", { exact: true })).toHaveValue("");
  await page.getByRole("link", { name: "Open the rules" }).click();
  await expect(page.locator(`tr[data-rule="${phrase}"]`)).toBeVisible();
  await page.goBack();
  await page.getByRole("link", { name: "← Back to the results" }).click();
  await expect(page.getByRole("heading", { name: "Search reports" })).toBeVisible();
  await expect(page.getByRole("searchbox")).toHaveValue("effusion");
});

test("the queue, its dashboard and adjudication: every button does what it says", async ({ browser }) => {
  test.setTimeout(120_000);
  const { fellow, fellowGuard, question, accessions } = await questionWithQueue(browser);
  const dashboard = fellow.url();
  const [affiliate, affiliateGuard] = await signedIn(browser, "affiliate");
  await openDemoProject(affiliate);
  await affiliate.getByRole("link", { name: `Label ${question}` }).click();
  await expect(affiliate.getByRole("heading", { name: question })).toBeVisible();
  await gotoHydrated(affiliate, affiliate.url());

  // The queue: choose, confirm, undo; two studies answered "absent", the third skipped, which
  // empties the queue; the last answer taken back from there and given again.
  const accession = affiliate.getByTestId("queue-accession");
  const progress = affiliate.getByTestId("queue-progress");
  const first = await accession.innerText();
  expect(accessions).toContain(first);
  await affiliate.getByRole("button", { name: /absent/ }).click();
  await expect(affiliate.getByRole("button", { name: /absent/ })).toHaveAttribute("aria-pressed", "true");
  await expect(affiliate.getByRole("button", { name: /present/ })).toHaveAttribute("aria-pressed", "false");
  await affiliate.getByRole("button", { name: "Confirm (Enter)" }).click();
  await expect(progress).toContainText("Done today 1 ·");
  await expect(accession).not.toHaveText(first);
  await affiliate.getByRole("button", { name: "Undo last (U)" }).click();
  await expect(accession).toHaveText(first);
  await expect(progress).toContainText("Done today 0 ·");
  const answered: string[] = [];
  for (let n = 1; n <= 2; n++) {
    answered.push(await accession.innerText());
    await affiliate.getByRole("button", { name: /absent/ }).click();
    await affiliate.getByRole("button", { name: "Confirm (Enter)" }).click();
    await expect(progress).toContainText(`Done today ${n} ·`);
    await expect(accession).not.toHaveText(answered[n - 1]);
  }
  await affiliate.getByRole("button", { name: "Skip (S)" }).click();
  await expect(affiliate.getByTestId("queue-empty")).toBeVisible();
  await expect(progress).toContainText("Done today 2 ·");
  await affiliate.getByRole("button", { name: "Take back my last answer (U)" }).click();
  await expect(accession).toHaveText(answered[1]);
  await expect(progress).toContainText("Done today 1 ·");
  await affiliate.getByRole("button", { name: /absent/ }).click();
  await affiliate.getByRole("button", { name: "Confirm (Enter)" }).click();
  await expect(affiliate.getByTestId("queue-empty")).toBeVisible();
  await expect(progress).toContainText("Done today 2 ·");
  await affiliate.getByRole("link", { name: "Back to the project" }).click();
  await expect(affiliate.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await affiliateGuard.check();

  // The fellow answers both "present": two disagreements.
  await fellow.getByRole("link", { name: "Label this queue yourself" }).click();
  await expect(fellow.getByRole("heading", { name: question })).toBeVisible();
  await gotoHydrated(fellow, fellow.url());
  for (let n = 1; n <= 3; n++) {
    await fellow.getByRole("button", { name: /present/ }).click();
    await fellow.getByRole("button", { name: "Confirm (Enter)" }).click();
    await expect(fellow.getByTestId("queue-progress")).toContainText(`Done today ${n}`);
  }
  await expect(fellow.getByTestId("queue-empty")).toBeVisible();

  // The dashboard: the gold form saves and empties; one disagreement is decided in its row.
  await gotoHydrated(fellow, dashboard);
  await expect(fellow.getByTestId("disagreements").locator("tbody tr")).toHaveCount(2);
  // A demo report out of this queue (a gold label settles a disagreement), then taken out again.
  // The demo's first study, by the accession on its report; listed, then removed from the list.
  // Typed in small letters with spaces around, as pasted: the study is found all the same.
  await fellow.getByLabel("Accession").fill(" syn202600000000 ");
  await fellow.getByLabel("True label").selectOption("present");
  await fellow.getByRole("button", { name: "Save gold label" }).click();
  await expect(fellow.getByRole("status")).toHaveText("Gold item saved: SYN202600000000 is “present”. The gold set holds 1 item.");
  await expect(fellow.getByLabel("Accession")).toHaveValue("");
  const item = fellow.getByTestId("gold-items").locator('tr[data-gold="SYN202600000000"]');
  await expect(item).toContainText("present");
  // A listed study with another label asks first: declined, nothing changes; accepted, the
  // message names the label before.
  let asked = "";
  fellow.once("dialog", (dialog) => { asked = dialog.message(); dialog.dismiss(); });
  await fellow.getByLabel("Accession").fill("SYN202600000000");
  await fellow.getByLabel("True label").selectOption("absent");
  await fellow.getByRole("button", { name: "Save gold label" }).click();
  await expect.poll(() => asked).toContain("SYN202600000000 is a gold item as “present”");
  await expect(item).toContainText("present");
  fellow.once("dialog", (dialog) => dialog.accept());
  await fellow.getByRole("button", { name: "Save gold label" }).click();
  await expect(fellow.getByRole("status")).toHaveText("Gold label of SYN202600000000 changed from “present” to “absent”. The gold set holds 1 item.");
  await expect(item).toContainText("absent");
  // An accession this project does not have is named (answered 422).
  fellowGuard.allow(/status of 422/);
  await fellow.getByLabel("Accession").fill("NO-SUCH-STUDY");
  await fellow.getByRole("button", { name: "Save gold label" }).click();
  await expect(fellow.getByRole("alert")).toContainText("NO-SUCH-STUDY");
  fellow.once("dialog", (dialog) => dialog.accept());
  await item.getByRole("button", { name: "Remove" }).click();
  await expect(fellow.getByRole("status")).toHaveText("SYN202600000000 is no longer a gold item (it was “absent”). The gold set holds 0 items.");
  await expect(fellow.getByTestId("gold-items")).toContainText("No gold items yet");
  await expect(fellow.getByTestId("disagreements").locator("tbody tr")).toHaveCount(2);
  await fellow.getByTestId("disagreements").getByRole("link", { name: answered[0] }).click();
  await expect(fellow.getByRole("heading", { name: `Report ${answered[0]}` })).toBeVisible();
  await gotoHydrated(fellow, dashboard);
  const row = fellow.getByTestId("disagreements").getByRole("row").filter({ hasText: answered[0] });
  await row.getByRole("button", { name: "present" }).click();
  await expect(fellow.getByRole("status").filter({ hasText: "Settled" })).toHaveText(`Settled ${answered[0]} as “present”: its final label is now adjudicated.`);
  await expect(fellow.getByTestId("disagreements").locator("tbody tr")).toHaveCount(1);
  await expect(fellow.getByTestId("disagreements")).not.toContainText(answered[0]);

  // Adjudication: the remaining one decided by a click, then the way back.
  await fellow.getByRole("link", { name: /Settle them one by one/ }).click();
  await expect(fellow.getByTestId("dispute-answers")).toContainText("affiliate: absent");
  await gotoHydrated(fellow, fellow.url());
  await fellow.getByRole("group", { name: "Decide" }).getByRole("button", { name: /absent/ }).click();
  await expect(fellow.getByTestId("no-disputes")).toBeVisible();
  await fellow.getByRole("link", { name: "← Queue and agreement" }).click();
  await expect(fellow.getByTestId("no-disagreements")).toBeVisible();
  await expect(fellow.getByTestId("final-sources").getByRole("row", { name: /adjudicated/ }).getByRole("cell").nth(1)).toHaveText("2");
  // The dashboard again, from the project's list of queues.
  await fellow.locator(".breadcrumbs").getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(fellow.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await fellow.getByTestId("queues").getByRole("row").filter({ hasText: question }).getByRole("link", { name: "Dashboard" }).click();
  await expect(fellow.getByRole("heading", { name: `${question}: queue and agreement` })).toBeVisible();
  await fellow.getByRole("link", { name: question, exact: true }).click();
  await expect(fellow.getByRole("heading", { name: question })).toBeVisible();
  await fellowGuard.check();
});

test("label sets and jobs: an export empties its form, two versions compare, a file downloads, a launch shows its job and log", async ({ page, guard }) => {
  // While the split is typed, its shares do not add up to 100 for a moment: the preview says so (422).
  guard.allow(/status of 422.*preview_label_set/);
  await signIn(page, "scientist");
  await openDemoProject(page);
  await page.getByRole("link", { name: "Label sets" }).click();
  // The page as the server sends it shows the form's defaults as the page will have them: a
  // checkbox ticked by default is ticked before the page becomes interactive too.
  const served = await (await page.context().request.get(page.url())).text();
  const beforeSoft = served.slice(0, served.indexOf("Take the soft label"));
  expect(beforeSoft.slice(beforeSoft.lastIndexOf("<input"))).toContain("checked");
  await gotoHydrated(page, page.url());
  await expect(page.getByRole("checkbox", { name: /Take the soft label/ })).toBeChecked();
  const effusion = page.getByRole("checkbox", { name: /Pleural effusion/ });
  for (const seed of ["7", "8"]) {
    await effusion.check();
    await page.getByLabel("Cohort", { exact: true }).selectOption({ label: "Every study" });
    // An emptied or negative seed is named, and nothing can be exported until it is mended.
    for (const wrong of ["", "-5"]) {
      await page.getByLabel("Seed").fill(wrong);
      await expect(page.locator("#seed-problem")).toHaveText(/Seed: give a whole number from 0 up/);
      await expect(page.getByRole("button", { name: "Export label set" })).toBeDisabled();
    }
    await page.getByLabel("Train %").fill("70");
    await page.getByLabel("Validation %").fill("10");
    await page.getByLabel("Test %").fill("20");
    await page.getByLabel(/Take the soft label/).check();
    await page.getByLabel(/Leave out labels named/).check();
    // The seed last, so that a preview of it is a preview of every choice made.
    await page.getByLabel("Seed").fill(seed);
    await expect(page.locator("#seed-problem")).toBeHidden();
    await expect(page.getByTestId("preview-studies")).toHaveText(/^[\d,]+$/);
    // The preview names its seed: what is written is what the preview showed, for the seed just typed.
    await expect(page.getByTestId("preview")).toContainText(`split with seed ${seed}:`);
    await expect(page.getByTestId("preview-updating")).toBeHidden();
    const previewedTest = await page.getByTestId("preview").getByRole("row", { name: /^test/ }).getByRole("cell").nth(1).innerText();
    await page.getByRole("button", { name: "Export label set" }).click();
    await expect(page.getByRole("status")).toContainText(/Label set v\d+ written: [\d,]+ studies\./);
    await expect(page.getByTestId("label-sets").locator("tbody tr").first()).toContainText(`test ${previewedTest} /`);
    // Written: the choices empty, so the same set is not written twice by a second click.
    await expect(effusion).not.toBeChecked();
    await expect(page.getByTestId("preview")).toHaveText("Pick at least one question.");
    await expect(page.getByRole("button", { name: "Export label set" })).toBeDisabled();
  }
  const rows = page.getByTestId("label-sets").locator("tbody tr");
  const newest = await rows.first().getAttribute("data-version");
  await expect(rows.first()).toContainText("seed 8");
  await expect(rows.nth(1)).toContainText("seed 7");

  await page.getByLabel("From", { exact: true }).selectOption(`v${Number(newest) - 1}`);
  await page.getByLabel("To", { exact: true }).selectOption(`v${newest}`);
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page.getByTestId("diff")).toContainText("Unchanged");
  // Two seeds: the same studies, some in another split, and the page says so and compared what.
  await expect(page.getByTestId("diff")).toContainText("Moved to another split");
  await expect(page.getByText(`Compared v${Number(newest) - 1} with v${newest}.`)).toBeVisible();
  await expect(page.getByTestId("diff-causes")).toContainText(`seed 7 in v${Number(newest) - 1}, 8 in v${newest}`);

  const download = page.waitForEvent("download");
  await rows.first().getByRole("link", { name: "manifest.json" }).click();
  expect((await download).suggestedFilename()).toBe(`labelset-v${newest}-manifest.json`);

  await rows.first().getByRole("link", { name: "Launch…" }).click();
  await expect(page.getByRole("heading", { name: "Training jobs" })).toBeVisible();
  await gotoHydrated(page, page.url());
  await expect(page.getByLabel("Label set")).toHaveValue(newest!);
  await page.getByLabel("Launch profile").selectOption({ label: "This host (local)" });
  await page.getByLabel(/Extra arguments/).fill("--alpha 0.25");
  await page.getByRole("button", { name: "Launch", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Launched 1 job.");
  await expect(page.getByLabel(/Extra arguments/)).toHaveValue("");
  const group = page.getByTestId("job-group").first();
  await expect(group.getByRole("heading")).toContainText(`Label set v${newest} on This host (local)`);
  await expect(group.getByRole("cell", { name: "--alpha 0.25" })).toBeVisible();
  await group.getByRole("button", { name: "Log" }).click();
  await expect(page.getByTestId("job-log")).toBeInViewport();
  await expect(page.getByTestId("job-log").getByRole("heading", { level: 2 })).toContainText(/^Job \d+ — /);
  await page.locator(".breadcrumbs").getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
});

test("launch profiles: a backend fills its template, a save empties the form, Edit fills it in view, Archive asks", async ({ page }) => {
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Administration" }).click();
  await page.getByRole("link", { name: /Launch profiles/ }).click();
  await expect(page.getByRole("heading", { name: "Launch profiles" })).toBeVisible();
  await gotoHydrated(page, page.url());
  const settings = page.getByLabel("Settings (YAML)");
  const local = await settings.inputValue();
  await page.getByLabel("Backend").selectOption("slurm");
  await expect(settings).not.toHaveValue(local);
  await expect(settings).toHaveValue(/partition/);
  await page.getByLabel("Backend").selectOption("local");
  await expect(settings).toHaveValue(local);

  const name = `Profile ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("status")).toHaveText(`Saved launch profile “${name}”.`);
  const row = page.getByTestId("profiles").getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("local");
  await expect(page.getByLabel("Name")).toHaveValue("");

  await page.evaluate(() => window.scrollTo(0, 0));
  await row.getByRole("button", { name: "Edit" }).click();
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await expect(page.getByLabel("Name")).toBeFocused();
  await expect(page.getByLabel("Name")).toBeInViewport();
  // As stored (the settings are saved as parsed YAML).
  await expect(settings).toHaveValue(/run_as: nobody/);

  page.once("dialog", (dialog) => dialog.dismiss());
  await row.getByRole("button", { name: "Archive" }).click();
  await expect(row).not.toContainText("(archived)");
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: "Archive" }).click();
  await expect(row).toContainText("(archived)");
  await expect(row.getByRole("button", { name: "Archive" })).toHaveCount(0);
  await page.locator(".breadcrumbs").getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { name: "Administration" })).toBeVisible();
});

test("administration: users are created, reset and disabled (asking first); a new project gets members, an end date and is closed", async ({ page, guard }) => {
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Administration" }).click();
  await gotoHydrated(page, page.url());
  const user = `user${Date.now()}`;
  await page.getByLabel("New user").fill(user);
  await page.getByRole("button", { name: "Create user" }).click();
  const password = page.getByRole("textbox", { name: `New password for ${user}` });
  await expect(password).toHaveValue(/.{12,}/);
  const first = await password.inputValue();
  await expect(page.getByLabel("New user")).toHaveValue("");
  const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: user, exact: true }) });
  await expect(row).toContainText("active");

  page.once("dialog", (dialog) => dialog.dismiss());
  await row.getByRole("button", { name: `Reset password of ${user}` }).click();
  await expect(password).toHaveValue(first);
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: `Reset password of ${user}` }).click();
  await expect(page.getByRole("textbox", { name: `New password for ${user}` }).last()).not.toHaveValue(first);

  page.once("dialog", (dialog) => dialog.dismiss());
  await row.getByRole("button", { name: `Disable ${user}` }).click();
  await expect(row).toContainText("active");
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: `Disable ${user}` }).click();
  await expect(row).toContainText("disabled");
  await expect(row.getByRole("button")).toHaveCount(0);
  await guard.check();

  // A project of its own, so that closing it harms nothing else.
  const project = `Controls project ${Date.now()}`;
  await page.getByLabel("New project").fill(project);
  await page.getByLabel("IRB protocol").fill("CTL-2026-1");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { name: project })).toBeVisible();
  await gotoHydrated(page, page.url());

  await page.getByLabel("User", { exact: true }).selectOption("affiliate");
  await page.getByLabel("Role").selectOption("scientist");
  await page.getByRole("button", { name: "Add member" }).click();
  const member = page.getByRole("row").filter({ has: page.getByRole("cell", { name: "affiliate", exact: true }) });
  await expect(member).toContainText("scientist");
  await expect(page.getByLabel("Role")).toHaveValue("affiliate");
  page.once("dialog", (dialog) => dialog.dismiss());
  await member.getByRole("button", { name: "Remove affiliate" }).click();
  await expect(member).toBeVisible();
  page.once("dialog", (dialog) => dialog.accept());
  await member.getByRole("button", { name: "Remove affiliate" }).click();
  await expect(member).toHaveCount(0);

  await page.getByLabel("Last valid day").fill("2099-06-30");
  await page.getByRole("button", { name: "Save end date" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toHaveText("Saved: the protocol's last valid day is 2099-06-30.");

  await page.getByLabel("Type the project's name to confirm").fill(project);
  await page.getByRole("button", { name: "Close project and purge reports" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Project closed" })).toHaveText("Project closed: 0 reports purged.");
  await expect(page.getByText("Status").locator("..")).toContainText("closed");

  await page.locator(".breadcrumbs").getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { name: "Administration" })).toBeVisible();
  await page.getByRole("link", { name: "Search the whole audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
});

test("the audit log: a filter narrows it and keeps its values; the pager moves between pages", async ({ page }) => {
  await signIn(page, "admin");
  await gotoHydrated(page, "/admin/audit");
  // Fifty events a page: the demo's sign-ins alone fill more than one.
  const count = page.getByRole("status");
  await expect(count).toContainText(/page 1 of \d+/);
  await page.getByRole("link", { name: "Older →" }).click();
  await expect(count).toContainText(/page 2 of/);
  await page.getByRole("link", { name: "← Newer" }).click();
  await expect(count).toContainText(/page 1 of/);

  await page.getByLabel("Who").fill("scientist");
  await page.getByLabel("Project").selectOption({ label: "Any project" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/actor=scientist/);
  await expect(page.getByLabel("Who")).toHaveValue("scientist");
  const actors = page.getByRole("row").locator("td:nth-child(2)");
  await expect(actors.first()).toHaveText("scientist");
  expect(new Set(await actors.allInnerTexts())).toEqual(new Set(["scientist"]));
  await page.locator(".breadcrumbs").getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { name: "Administration" })).toBeVisible();
});

test("API tokens: a created token empties the form; revoking asks first", async ({ page }) => {
  await signIn(page, "scientist");
  await page.getByRole("link", { name: "API tokens" }).click();
  await gotoHydrated(page, page.url());
  const name = `controls ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Project").selectOption({ label: DEMO_PROJECT });
  await page.getByLabel("Valid for").selectOption({ label: "30 days" });
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByRole("status")).toContainText(`Token “${name}” created.`);
  await expect(page.getByRole("textbox", { name: "Your new token" })).toHaveValue(/^sieve_[0-9a-f]{64}$/);
  // Created once: the form is empty again, so a second click cannot make a twin.
  await expect(page.getByLabel("Name")).toHaveValue("");
  await expect(page.getByLabel("Project")).toHaveValue("");
  await expect(page.getByLabel("Valid for")).toHaveValue("90");
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(DEMO_PROJECT);

  page.once("dialog", (dialog) => dialog.dismiss());
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row.getByRole("button", { name: `Revoke ${name}` })).toBeVisible();
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); return dialog.accept(); });
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row).toContainText("revoked or expired");
  expect(asked).toContain(`Revoke the token ${name}?`);
  const openapi = await page.request.get((await page.getByRole("link", { name: "OpenAPI" }).getAttribute("href"))!);
  expect(openapi.ok()).toBeTruthy();
});

test("a split that does not add up is refused in the form's words as it is typed, and the refusal goes once the shares are fixed", async ({ page, guard }) => {
  guard.allow(/status of 422.*preview_label_set/);
  await signIn(page, "scientist");
  await openDemoProject(page);
  await page.getByRole("link", { name: "Label sets" }).click();
  await gotoHydrated(page, page.url());
  await page.getByRole("checkbox", { name: /Pleural effusion/ }).check();
  await page.getByLabel("Train %").fill("80");
  await page.getByLabel("Validation %").fill("10");
  await page.getByLabel("Test %").fill("20");
  // No click elsewhere: the preview follows the keys.
  await expect(page.getByTestId("preview")).toContainText("add up to 110 %, not 100 %");
  await expect(page.getByTestId("preview-studies")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Export label set" })).toBeDisabled();
  // An emptied share counts as 0 %: the message follows it, never a stale one.
  await page.getByLabel("Test %").fill("");
  await expect(page.getByTestId("preview")).toContainText("add up to 90 %, not 100 %");
  await page.getByLabel("Test %").fill("10");
  await expect(page.getByTestId("preview-studies")).toHaveText(/^[\d,]+$/);
  await expect(page.getByRole("alert")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Export label set" })).toBeEnabled();
});
