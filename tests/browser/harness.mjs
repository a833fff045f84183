// Starts `jixiao serve --demo` on a free port and a headless Chromium (Debian's), and keeps
// screenshots in artifacts/screenshots for people to look at.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const shots = join(root, "artifacts", "screenshots");
mkdirSync(shots, { recursive: true });

export async function startServer() {
  // The binary cargo built: where CARGO_TARGET_DIR puts it, if set (relative to the root).
  const target = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");
  const bin = process.env.JIXIAO_BIN || join(target, "debug", "jixiao");
  const child = spawn(bin, ["serve", "--demo", "--bind", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start: " + log)), 30000);
    child.stdout.on("data", (d) => {
      log += d;
      const m = /http:\/\/(127\.0\.0\.1:\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve("http://" + m[1]); }
    });
    child.stderr.on("data", (d) => { log += d; });
    child.on("exit", (code) => reject(new Error("server exited " + code + ": " + log)));
  });
  return { base, stop: () => child.kill() };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

export async function signIn(browser, base, username, password = "jixiao-demo") {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  // Dialogs are answered only when a test said it expects one (page.expectDialog); any other
  // is dismissed and recorded in page.unexpectedDialogs for the test to see.
  page.expected = [];
  page.unexpectedDialogs = [];
  page.expectDialog = (pattern, accept = true) => page.expected.push({ pattern, accept });
  page.on("dialog", async (d) => {
    const e = page.expected.shift();
    if (!e || !e.pattern.test(d.message())) { page.unexpectedDialogs.push(d.message()); await d.dismiss(); return; }
    await (e.accept ? d.accept() : d.dismiss());
  });
  await page.goto(base + "/forms");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(password);
  await page.getByRole("button", { name: "登录" }).click();
  // The business roles return to the portfolio; an administrator lands on their own page.
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  return page;
}

export async function shot(page, name, options = {}) {
  await page.screenshot({ path: join(shots, name + ".png"), fullPage: true, ...options });
}
