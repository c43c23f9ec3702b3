// Measures a first load (empty browser cache) of the sign-in page and of a project page, then a later
// visit with the cache kept: the bytes that crossed the network (after compression) and the time
// until the app is hydrated, on a link throttled to 50 Mbit/s with 20 ms latency (Chromium DevTools
// network emulation). Not a test: scripts report the figures it prints (README, docs/ARCHITECTURE.md).
//   SIEVE_URL=http://127.0.0.1:3000 SIEVE_DEMO_FELLOW_PASSWORD=... node end2end/first_load.mjs
import { chromium } from "@playwright/test";

const baseURL = process.env.SIEVE_URL;
const password = process.env.SIEVE_DEMO_FELLOW_PASSWORD;
if (!baseURL || !password) throw new Error("set SIEVE_URL and SIEVE_DEMO_FELLOW_PASSWORD");
const projectPath = process.env.SIEVE_PROJECT_PATH ?? "/projects/1";
const megabitsPerSecond = 50;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
});

/** Loads `path` in a fresh context (empty cache) and returns what crossed the network. */
async function firstLoad(path, storageState) {
  const context = await browser.newContext({ baseURL, storageState });
  let page = await context.newPage();
  const responses = new Map();
  /** Throttles the page's network and records each response's transferred bytes. */
  async function watch(session) {
    await session.send("Network.enable");
    await session.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 20,
      downloadThroughput: (megabitsPerSecond * 1_000_000) / 8,
      uploadThroughput: (megabitsPerSecond * 1_000_000) / 8,
    });
    session.on("Network.responseReceived", ({ requestId, response }) => {
      const encoding = response.headers["content-encoding"] ?? "-";
      responses.set(requestId, { url: response.url, encoding, bytes: 0 });
    });
    session.on("Network.loadingFinished", ({ requestId, encodedDataLength }) => {
      const entry = responses.get(requestId);
      if (entry) entry.bytes = encodedDataLength;
    });
  }
  await watch(await context.newCDPSession(page));
  /** Loads the page once and prints what crossed the network. */
  async function load(what) {
    responses.clear();
    const started = Date.now();
    await page.goto(path);
    await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 120_000 });
    const hydratedMs = Date.now() - started;
    await page.waitForLoadState("networkidle");
    const entries = [...responses.values()];
    const total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    console.log(`${path}, ${what}: ${total} bytes transferred, hydrated after ${hydratedMs} ms at ${megabitsPerSecond} Mbit/s`);
    for (const entry of entries) {
      console.log(`  ${String(entry.bytes).padStart(10)}  ${entry.encoding.padEnd(4)}  ${new URL(entry.url).pathname}`);
    }
    console.log(`  (the bytes alone at ${megabitsPerSecond} Mbit/s: ${((total * 8) / (megabitsPerSecond * 1000)).toFixed(0)} ms)`);
  }
  await load("first load (empty cache)");
  // A later visit (a new tab, not a reload, which would revalidate): only the page crosses the network.
  const later = await context.newPage();
  await later.goto("about:blank");
  await page.close();
  page = later;
  await watch(await context.newCDPSession(page));
  await load("later visit (cache kept)");
  await context.close();
}

await firstLoad("/login");

// Signs in once, then loads the project page in a new context that has the session but no cache.
const signInContext = await browser.newContext({ baseURL });
const signInPage = await signInContext.newPage();
await signInPage.goto("/login");
await signInPage.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 120_000 });
await signInPage.getByLabel("User name").fill("fellow");
await signInPage.getByLabel("Password", { exact: true }).fill(password);
await signInPage.getByRole("button", { name: "Sign in" }).click();
await signInPage.getByRole("heading", { name: "Your projects" }).waitFor();
const storageState = await signInContext.storageState();
await signInContext.close();
await firstLoad(projectPath, storageState);

await browser.close();
