import { expect } from "@playwright/test";
import { signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

function report(accession: string, text: string, date = "2024-05-06") {
  return JSON.stringify({
    accession, patient_id: `MRN-${accession}`, study_date: date, exam_code: "XRCHEST2V", modality: "CR",
    body_part: "CHEST", report_text: text,
  });
}

test("a fellow imports a file through the page, then finds and opens its report", async ({ page }) => {
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Import reports" }).click();
  await expect(page.getByRole("heading", { name: "Import reports" })).toBeVisible();

  const stamp = Date.now();
  const lines = [
    report(`E2E-${stamp}-1`, `FINDINGS: Zebra stripe artifact z${stamp} over the left hemithorax. No pneumothorax.`),
    report(`E2E-${stamp}-2`, "FINDINGS: Clear lungs. IMPRESSION: No acute process."),
  ];
  await page.getByLabel("File").setInputFiles({ name: "export.jsonl", mimeType: "application/json", buffer: Buffer.from(lines.join("\n") + "\n") });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toContainText("Imported: 2 new, 0 updated, 0 unchanged");

  await page.getByRole("link", { name: "Search the reports" }).click();
  await page.getByRole("searchbox").fill(`"zebra stripe artifact z${stamp}"`);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("result-count")).toContainText("1 report matches");
  await page.locator(".result-title").first().click();
  await expect(page.getByRole("heading", { name: `Report E2E-${stamp}-1` })).toBeVisible();
  await expect(page.getByRole("article", { name: "Report text" })).toContainText("Zebra stripe artifact");
});

test("an invalid file is refused with its line-numbered errors and imports nothing", async ({ page, guard }) => {
  guard.allow(/status of 422.*\/imports\?/);
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Import reports" }).click();
  const lines = [report("E2E-BAD-1", "Fine report."), report("E2E-BAD-2", "Bad date.", "31/12/2024")];
  await page.getByLabel("File").setInputFiles({ name: "bad.jsonl", mimeType: "application/json", buffer: Buffer.from(lines.join("\n")) });
  await page.getByRole("button", { name: "Import" }).click();
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("bad.jsonl was not imported: 1 invalid record(s); nothing was written");
  await expect(alert).toContainText('bad.jsonl:2: study_date: "31/12/2024" is not a date');
});

test("a CSV written with Windows line endings is refused naming the line a spreadsheet shows; an empty or header-only file is refused saying so", async ({ page, guard }) => {
  guard.allow(/status of (400|422).*\/imports\?/);
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Import reports" }).click();
  const rows = [
    "accession,patient_id,study_date,report_text",
    "E2E-CRLF-1,P1,2024-01-02,No effusion.",
    "E2E-CRLF-2,P2,2024-01-02,\"FINDINGS: clear.\r\nIMPRESSION: normal.\"",
    "E2E-CRLF-3,P3,yesterday,No effusion.",
  ];
  const alert = page.getByRole("alert");
  await page.getByLabel("File").setInputFiles({ name: "crlf.csv", mimeType: "text/csv", buffer: Buffer.from(rows.join("\r\n") + "\r\n") });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(alert).toContainText('crlf.csv:5: study_date: "yesterday" is not a date');
  await page.getByLabel("File").setInputFiles({ name: "empty.csv", mimeType: "text/csv", buffer: Buffer.from("") });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(alert).toContainText("empty.csv: the file is empty");
  await page.getByLabel("File").setInputFiles({ name: "header.csv", mimeType: "text/csv", buffer: Buffer.from(rows[0] + "\r\n") });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(alert).toContainText("header.csv: the file holds no reports");
});

test("a CSV saved by Excel on Windows is refused naming its character set, and imported whole once it is chosen", async ({ page, guard }) => {
  guard.allow(/status of 422.*\/imports\?/);
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Import reports" }).click();
  const stamp = Date.now();
  const csv =
    "accession,patient_id,study_date,exam_code,modality,body_part,report_text\n" +
    `E2E-1252-${stamp},MRN-${stamp},2024-05-06,XRCHEST2V,CR,CHEST,"Épanchement pleural minime quokka${stamp}; Lungenbefund unauffällig"\n`;
  // Windows-1252 bytes: é is 0xE9, É 0xC9, ä 0xE4 (each is two bytes in UTF-8).
  const bytes = Buffer.from(Array.from(csv, (c) => ({ "é": 0xe9, "É": 0xc9, "ä": 0xe4 })[c] ?? c.charCodeAt(0)));
  const file = { name: "excel.csv", mimeType: "text/csv", buffer: bytes };
  await page.getByLabel("File").setInputFiles(file);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("alert")).toContainText("excel.csv:2: the text is not UTF-8 (field 7)");
  await expect(page.getByRole("alert")).toContainText("windows-1252");

  await page.getByLabel("Character set").selectOption("windows-1252");
  await page.getByLabel("File").setInputFiles(file);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toContainText("Imported: 1 new, 0 updated, 0 unchanged");

  await page.getByRole("link", { name: "Search the reports" }).click();
  await page.getByRole("searchbox").fill(`quokka${stamp}`);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator(".result-title").first().click();
  await expect(page.getByRole("article", { name: "Report text" })).toContainText(
    `Épanchement pleural minime quokka${stamp}; Lungenbefund unauffällig`,
  );
});

test("a report imported again with other text and date shows the new ones, and the earlier version is kept on its page", async ({ page }) => {
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Import reports" }).click();
  const stamp = Date.now();
  const accession = `E2E-AMEND-${stamp}`;
  const first = report(accession, `FINDINGS: Possible small effusion wombat${stamp}.`);
  await page.getByLabel("File").setInputFiles({ name: "first.jsonl", mimeType: "application/json", buffer: Buffer.from(first + "\n") });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toContainText("Imported: 1 new");
  // The second version also corrects the study date: kept too, and said.
  const second = report(accession, `FINDINGS: Small left effusion wombat${stamp}. IMPRESSION: Effusion.`, "2024-05-07");
  await page.getByLabel("File").setInputFiles({ name: "second.jsonl", mimeType: "application/json", buffer: Buffer.from(second + "\n") });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toContainText("1 updated");

  await page.getByRole("link", { name: "Search the reports" }).click();
  await page.getByRole("searchbox").fill(`wombat${stamp}`);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator(".result-title").first().click();
  await expect(page.getByRole("article", { name: "Report text" })).toContainText("Small left effusion");
  const earlier = page.getByTestId("earlier-texts");
  await expect(earlier).toContainText("Earlier versions of this report (1)");
  await earlier.locator("summary").click();
  await expect(earlier).toContainText(`FINDINGS: Possible small effusion wombat${stamp}.`);
  await expect(earlier.getByTestId("changed-details")).toHaveText("Changed with the next version: study date 2024-05-06, then 2024-05-07.");
});
