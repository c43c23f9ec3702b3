import { expect } from "@playwright/test";
import { gotoHydrated, signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

test("a scientist exports a label set, downloads it, launches it on the local profile and watches it succeed", async ({ page }) => {
  await signIn(page, "scientist");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Label sets" }).click();
  await expect(page.getByRole("heading", { name: "Label sets" })).toBeVisible();
  await gotoHydrated(page, page.url());

  // The sizes are shown before anything is written.
  await page.getByRole("checkbox", { name: /Pleural effusion/ }).check();
  const studies = page.getByTestId("preview-studies");
  await expect(studies).toHaveText(/^\d+$/);
  const count = Number(await studies.textContent());
  expect(count).toBeGreaterThan(0);
  await expect(page.getByTestId("preview")).toContainText("train");

  await page.getByRole("button", { name: "Export label set" }).click();
  await expect(page.getByRole("status")).toContainText(/Label set v\d+ written: \d+ studies/);
  const row = page.getByTestId("label-sets").locator("tbody tr").first();
  await expect(row.getByTestId("set-studies")).toHaveText(String(count));

  // Every file downloads, and the manifest's hashes are the files' hashes.
  const manifestUrl = await row.getByRole("link", { name: "manifest.json" }).getAttribute("href");
  const manifest = await (await page.request.get(manifestUrl!)).json();
  expect(manifest.questions[0].name).toBe("Pleural effusion");
  const csv = await page.request.get(manifestUrl!.replace("manifest.json", "labels.csv"));
  expect(csv.ok()).toBeTruthy();
  expect((await csv.text()).split("\n")[0]).toContain("study_id,patient_id,study_date,image_uri,split,Pleural effusion");
  expect(manifest.files.map((f: { name: string }) => f.name)).toEqual(["labels.csv", "labels.jsonl", "labels.parquet", "texts.jsonl"]);

  // Launch it on this host and follow it to the end.
  await row.getByRole("link", { name: "Launch…" }).click();
  await expect(page.getByRole("heading", { name: "Training jobs" })).toBeVisible();
  await gotoHydrated(page, page.url());
  await expect(page.getByLabel("Label set")).toHaveValue(String(manifest.version));
  await page.getByLabel("Launch profile").selectOption({ label: "This host (local)" });
  // A value with spaces is quoted, as in a shell.
  await page.getByLabel(/Extra arguments/).fill('--alpha 0.5\n--question "Pleural effusion" --alpha 2');
  await page.getByRole("button", { name: "Launch", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Launched 2 jobs as one group.");
  const group = page.getByTestId("job-group").first();
  await expect(group.getByRole("heading")).toContainText(`Label set v${manifest.version} on This host (local)`);
  // The page refreshes by itself while jobs run.
  await expect(group.getByTestId("job-state")).toHaveText(["succeeded", "succeeded"], { timeout: 60_000 });
  await expect(group.getByRole("cell", { name: "--question 'Pleural effusion' --alpha 2" })).toBeVisible();
  await group.getByRole("button", { name: "Log" }).first().click();
  // The log opens below the list and is brought into view.
  await expect(page.getByTestId("job-log")).toBeInViewport();
  await expect(page.getByTestId("job-log")).toContainText(`verified 4 files of label set v${manifest.version}`);
  await expect(page.getByTestId("job-log")).toContainText("done");
  // The job's metrics, as it wrote them, shown as a table rather than left in the log.
  const metrics = page.getByTestId("job-metrics");
  await expect(metrics.getByRole("row", { name: /splits\.test\.accuracy/ })).toContainText(/0\.\d{3}|1/);
  await expect(metrics.getByRole("row", { name: /splits\.train\.studies/ })).toContainText(/\d+/);
});

test("a running job can be cancelled from the jobs page", async ({ page }) => {
  await signIn(page, "fellow");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Training jobs" }).click();
  await gotoHydrated(page, page.url());
  // The label set exported by the test above.
  await expect(page.getByLabel("Label set")).toBeVisible();
  await page.getByLabel(/Extra arguments/).fill("--sleep 120");
  await page.getByRole("button", { name: "Launch", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Launched 1 job.");
  const group = page.getByTestId("job-group").first();
  await expect(group.getByTestId("job-state")).toHaveText("running", { timeout: 30_000 });
  // What is being typed survives the page's refreshes while the job runs.
  await page.getByLabel(/Extra arguments/).fill("--alpha 3");
  const refreshed = page.waitForResponse((r) => r.url().includes("/api/project_jobs"));
  await refreshed;
  await expect(page.getByLabel(/Extra arguments/)).toHaveValue("--alpha 3");
  // Cancelling asks first: declined, nothing is sent and the job runs on; accepted, it stops.
  let cancels = 0;
  page.on("request", (request) => { if (request.url().includes("/api/cancel_job")) cancels += 1; });
  page.once("dialog", (dialog) => dialog.dismiss());
  await group.getByRole("button", { name: "Cancel" }).click();
  await expect(group.getByTestId("job-state")).toHaveText("running");
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); return dialog.accept(); });
  await group.getByRole("button", { name: "Cancel" }).click();
  await expect(group.getByTestId("job-state")).toHaveText("cancelled");
  expect(asked).toContain("Cancel job");
  expect(cancels).toBe(1);
  await expect(group.getByRole("button", { name: "Cancel" })).toHaveCount(0);
});

test("a launch cannot point its job at another project's label set or write elsewhere", async ({ page, guard }) => {
  guard.allow(/status of 422.*\/api\/launch_jobs/);
  await signIn(page, "scientist");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await page.getByRole("link", { name: "Training jobs" }).click();
  await gotoHydrated(page, page.url());
  await expect(page.getByLabel("Label set")).toBeVisible();
  const groups = await page.getByTestId("job-group").count();
  for (const attack of [
    "--alpha 0.5\n--manifest /srv/sieve/labelsets/2/v1/manifest.json",
    "--out=/tmp/anywhere",
  ]) {
    await page.getByLabel(/Extra arguments/).fill(attack);
    await page.getByRole("button", { name: "Launch", exact: true }).click();
    await expect(page.getByRole("alert")).toContainText("which Sieve sets itself");
  }
  await expect(page.getByRole("alert")).toContainText("remove it");
  // Mistakes get a message saying what to change, and launch nothing either.
  for (const [typed, told] of [
    ["--alpha " + "9".repeat(5000), "at most 1000"],
    ['--question "Pleural effusion', "a quote is not closed"],
  ]) {
    await page.getByLabel(/Extra arguments/).fill(typed);
    await page.getByRole("button", { name: "Launch", exact: true }).click();
    await expect(page.getByRole("alert")).toContainText(told);
  }
  await expect(page.getByTestId("job-group")).toHaveCount(groups);
});

test("an affiliate cannot reach the label sets or the jobs", async ({ page, guard }) => {
  guard.allow(/status of 403.*\/labelsets\)/);
  await signIn(page, "affiliate");
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("link", { name: "Label sets" })).toHaveCount(0);
  const url = page.url();
  await page.goto(`${url}/labelsets`);
  await expect(page.getByText(/Exporting label sets needs the fellow or scientist role/)).toBeVisible();
  const response = await page.request.get(`${url.replace("/projects/", "/api/v1/projects/")}/jobs`);
  expect(response.status()).toBe(403);
});
