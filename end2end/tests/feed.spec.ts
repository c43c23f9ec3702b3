import { expect } from "@playwright/test";
import { gotoHydrated, signIn, test } from "./helpers";

const DEMO_PROJECT = "Demo: chest radiographs and head CT";

test("the admin decides which reports of the live feed a project takes, and it is kept and audited", async ({ page, guard }) => {
  guard.allow(/status of 422.*\/api\/save_feed_filter/);
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Administration" }).click();
  await page.getByRole("link", { name: DEMO_PROJECT }).click();
  await expect(page.getByRole("heading", { name: DEMO_PROJECT })).toBeVisible();
  await gotoHydrated(page, page.url());

  const feed = page.getByRole("region", { name: "Live HL7 feed" });
  // This server was started without --mllp-addr: the page says so and how to turn it on.
  await expect(feed).toContainText("does not receive a feed");
  await expect(feed).toContainText("--mllp-addr");

  await feed.getByLabel("This project takes reports from the feed").check();
  await feed.getByLabel("Sending facilities (MSH-4)").fill("HOSP, CLINIC");
  // Two codes run together would match no report: refused, naming the value, nothing saved.
  await feed.getByLabel("Modalities (OBR-24)").fill("CR CT");
  await feed.getByRole("button", { name: "Save feed filter" }).click();
  await expect(feed.getByRole("alert")).toContainText("Modalities: “CR CT” holds a space");
  await feed.getByLabel("Modalities (OBR-24)").fill("cr");
  await feed.getByRole("button", { name: "Save feed filter" }).click();
  await expect(feed.getByRole("status")).toHaveText(
    "Saved: this project takes reports with sending facility HOSP, CLINIC; any exam code; modality cr.",
  );

  await page.reload();
  await gotoHydrated(page, page.url());
  await expect(feed.getByLabel("This project takes reports from the feed")).toBeChecked();
  await expect(feed.getByLabel("Sending facilities (MSH-4)")).toHaveValue("HOSP, CLINIC");
  await expect(feed.getByLabel("Exam codes (OBR-4)")).toHaveValue("");

  // Taking the project off the feed.
  await feed.getByLabel("This project takes reports from the feed").uncheck();
  await feed.getByRole("button", { name: "Save feed filter" }).click();
  await expect(feed.getByRole("status")).toHaveText("Saved: this project takes no reports from the feed.");

  await gotoHydrated(page, "/admin/audit");
  await page.getByLabel("Action").fill("feed");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByRole("row").filter({ hasText: "takes the feed: sending facility HOSP, CLINIC" }).first()).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "takes no reports from the feed" }).first()).toBeVisible();
});
