import { expect } from "@playwright/test";
import { gotoHydrated, signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";
const DEPLOYMENT = "Demo: deployed model monitoring";

test("the demo's deployed model shows its drift: alarms on the project page, charts and the explained rules", async ({ page, guard }) => {
  await signIn(page, "scientist");
  await page.getByRole("link", { name: DEPLOYMENT }).click();
  // The alarms are on the project's home, each leading to its model.
  const alarms = page.getByTestId("project-alarms");
  await expect(alarms).toContainText("EffusionNet 2.1 — CUSUM alarm on 2026-10");
  await expect(alarms).toContainText("Run length alarm");
  await alarms.getByRole("link").first().click();
  await expect(page.getByRole("heading", { name: "EffusionNet 2.1" })).toBeVisible();
  await gotoHydrated(page, page.url());
  await expect(page.getByTestId("model-alarms")).toContainText("CUSUM alarm on 2026-10");
  // The validation of every predicted study, with intervals.
  const measures = page.getByTestId("validation-measures");
  await expect(measures.getByTestId("measure-sensitivity")).toHaveText(/^\d+\.\d % \(\d+\.\d–\d+\.\d\)$/);
  await expect(measures.getByTestId("measure-auc")).toHaveText(/^0\.\d{3} \(/);
  // Over time: the rules explained with their numbers, the alarms drawn on the charts.
  const overTime = page.getByTestId("over-time");
  await expect(overTime.getByTestId("alarm-rules")).toContainText("Baseline 2025-12-01 to 2026-03-30");
  await expect(overTime.getByTestId("alarm-rules")).toContainText(/decision limit|passes h = \d/);
  await expect(overTime.getByTestId("chart-alarms")).toContainText("CUSUM on 2026-10");
  await expect(overTime.locator("svg[role=img]")).toHaveCount(4);
  await expect(overTime.locator(".chart-mark-label").first()).toHaveText(/CUSUM|Run length/);
  // By week: three charts (the CUSUM and the control limit are daily).
  await page.getByLabel("Points", { exact: true }).selectOption("week");
  await expect(overTime.locator("svg[role=img]")).toHaveCount(3);
  await expect(overTime.getByRole("img", { name: "Discordance with the reference, per week" })).toBeVisible();
  // Only labels people gave: none yet, said in words.
  await page.getByLabel("Reference labels").selectOption("human");
  await expect(page.getByTestId("validation-empty")).toContainText("None of this set's studies has a label people gave");
  await guard.check();
});

test("a scientist registers a model, uploads predictions (a bad file is refused naming its lines), and queues the discordant studies", async ({ page, guard }) => {
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEPLOYMENT }).click();
  await page.getByRole("link", { name: "Models" }).click();
  await gotoHydrated(page, page.url());
  const version = `e2e-${Date.now()}`;
  await page.getByLabel("Name", { exact: true }).fill("Checker");
  await page.getByLabel("Version", { exact: true }).fill(version);
  await page.getByLabel("Its positive means").selectOption("present");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: `Checker ${version}` })).toBeVisible();
  await gotoHydrated(page, page.url());
  await expect(page.getByTestId("prediction-count")).toHaveText("0");
  await expect(page.getByTestId("validation")).toContainText("No predicted study in this set");

  // A file with a label the question does not have and an unknown accession: nothing is written.
  guard.allow(/status of 422/);
  await page.getByLabel("Predictions file").setInputFiles({
    name: "bad.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("accession,label\nMON0000000,present\nMON0000001,maybe\nNOPE,absent\n"),
  });
  await page.getByRole("button", { name: "Upload" }).click();
  const refused = page.getByRole("alert");
  await expect(refused).toContainText("bad.csv was not imported: 2 bad line(s); nothing was written");
  await expect(refused).toContainText("line 3: label “maybe” is not one of the question's labels");
  await expect(refused).toContainText("line 4: accession NOPE is not a study of this project");
  await expect(page.getByTestId("prediction-count")).toHaveText("0");

  // A good file: every study of the first ten days said present.
  const lines = ["accession,label"];
  for (let i = 0; i < 400; i++) lines.push(`MON${String(i).padStart(7, "0")},present`);
  await page.getByLabel("Predictions file").setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n")) });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Imported 400 predictions" })).toContainText("(400 new, 0 replaced)");
  await expect(page.getByTestId("prediction-count")).toHaveText("400");
  const measures = page.getByTestId("validation-measures");
  await expect(measures.getByTestId("measure-sensitivity")).toHaveText(/^100\.0 %/);

  // The studies where the model says present and the reference absent go to the queue, asked first.
  const button = page.getByTestId("queue-discordant");
  await expect(button).toHaveText(/Queue the \d+ discordant studies for confirmation/);
  const discordant = Number((await button.textContent())!.match(/\d+/)![0]);
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); dialog.accept(); });
  await button.click();
  // Studies labeled by a rule join the queue (an earlier run of this test may have queued them).
  const queued = page.getByTestId("queued").or(page.getByText("They were all in the queue already."));
  await expect(queued).toBeVisible();
  const added = (await queued.textContent())!.match(/^(\d+) studies added to the confirmation queue: affiliates see them first\.$/);
  if (added) expect(Number(added[1])).toBeLessThanOrEqual(discordant);
  expect(asked).toContain("confirmation queue");
  await guard.check();
});

test("a model made from the demo's training job shows its test-split validation", async ({ page, guard }) => {
  await signIn(page, "scientist");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Label sets" }).click();
  await gotoHydrated(page, page.url());
  await page.getByRole("checkbox", { name: /Pleural effusion/ }).check();
  await expect(page.getByTestId("preview-studies")).toHaveText(/^\d+$/);
  await page.getByRole("button", { name: "Export label set" }).click();
  await expect(page.getByRole("status")).toContainText(/Label set v\d+ written/);
  await page.getByTestId("label-sets").locator("tbody tr").first().getByRole("link", { name: "Launch…" }).click();
  await gotoHydrated(page, page.url());
  await page.getByLabel("Launch profile").selectOption({ label: "This host (local)" });
  await page.getByRole("button", { name: "Launch", exact: true }).click();
  const group = page.getByTestId("job-group").first();
  await expect(group.getByTestId("job-state")).toHaveText("succeeded", { timeout: 60_000 });
  // The job wrote its test split's predictions: Sieve made its model, linked from the job.
  const open = group.getByRole("link", { name: "Model and validation" });
  await expect(open).toBeVisible({ timeout: 15_000 });
  await open.click();
  await expect(page.getByRole("heading", { name: /^Pleural effusion job \d+/ })).toBeVisible();
  await gotoHydrated(page, page.url());
  await expect(page.getByLabel("Studies", { exact: true })).toHaveValue("test");
  const compared = page.getByTestId("validation");
  await expect(compared).toContainText(/\d+ studies compared/);
  const count = Number(await page.getByTestId("prediction-count").textContent());
  expect(count).toBeGreaterThan(0);
  await expect(compared).toContainText(`${count} studies compared`);
  await expect(page.getByTestId("validation-measures").getByTestId("measure-accuracy")).toHaveText(/^\d+\.\d % \(/);
  await expect(page.getByRole("heading", { name: "What the training job measured" })).toBeVisible();
  await guard.check();
});

test("alarm settings: a save from a tab opened before another save is refused, and the alarms listed follow the saved rules", async ({ page, guard }) => {
  await signIn(page, "scientist");
  await page.getByRole("link", { name: DEPLOYMENT }).click();
  await page.getByRole("link", { name: "Models" }).click();
  await page.getByRole("link", { name: "EffusionNet 2.1" }).click();
  await expect(page.getByRole("heading", { name: "EffusionNet 2.1" })).toBeVisible();
  const address = page.url();
  await gotoHydrated(page, address);
  const other = await page.context().newPage();
  await gotoHydrated(other, address);

  await page.getByLabel("Run length (consecutive days)").fill("3");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  // The other tab still shows the earlier settings: its save would undo this one, so it is refused.
  guard.allow(/status of 422/);
  await other.getByLabel("CUSUM: days between false alarms").fill("2000");
  await other.getByRole("button", { name: "Save" }).click();
  await expect(other.getByRole("alert")).toContainText("changed (in another tab, or by someone else)");
  // The refused form now shows the settings as saved, not what was typed into it.
  await expect(other.getByLabel("Run length (consecutive days)")).toHaveValue("3");
  await expect(other.getByLabel("CUSUM: days between false alarms")).toHaveValue("1000");
  await other.close();

  // The alarms listed are those of the rules as saved (the watcher runs them again within seconds).
  await expect(async () => {
    await page.reload();
    await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
    const drawn = page.getByTestId("chart-alarms");
    await expect(drawn).toContainText(/^\d+ alarms/, { timeout: 3_000 });
    const count = (await drawn.textContent())!.match(/^\d+/)![0];
    expect(Number(count)).toBeGreaterThan(2);
    await expect(page.getByTestId("model-alarms").getByRole("heading")).toHaveText(`Alarms (${count})`, { timeout: 3_000 });
  }).toPass({ timeout: 30_000 });

  // Back to seven days.
  await page.getByLabel("Run length (consecutive days)").fill("7");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await guard.check();
});
