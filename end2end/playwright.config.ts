import { defineConfig } from "@playwright/test";

// The server is started by scripts/test.sh (a real `sieve serve --demo` on a free port with a
// temporary data directory), which passes its URL and the demo passwords in the environment.
const baseURL = process.env.SIEVE_URL;
if (!baseURL) {
  throw new Error("SIEVE_URL is not set: run the browser tests through scripts/test.sh");
}

export default defineConfig({
  testDir: "./tests",
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
