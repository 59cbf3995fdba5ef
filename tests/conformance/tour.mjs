// The conformance tour: signs in as each demo role, visits every page that role reaches
// at a desktop and a phone size, runs axe-core on each in Chromium, keeps each page's HTML
// as the server sent it (the response body, not the DOM) for the Nu Html Checker, and
// downloads every CSV export through the browser to check that the file is whole.
//
// Run by scripts/conformance-pages.sh, which seeds and serves the demo workspace. Reads:
//   BASE_URL    the served demo workspace, e.g. http://127.0.0.1:3102
//   CHROME_BIN  the Chromium to drive (Debian's /usr/bin/chromium; no browser is downloaded)
//   OUT_DIR     where the pages' HTML (OUT_DIR/html) and downloads go
//   VNU_JAR     the Nu Html Checker; all pages are checked in one java run at the end
// Exits non-zero on any axe violation of impact critical or serious, any vnu error, any
// CSV that is not whole, or any page that answers other than expected.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium } from "playwright-core";

const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const CHROME_BIN = process.env.CHROME_BIN ?? "/usr/bin/chromium";
const OUT_DIR = process.env.OUT_DIR ?? join(tmpdir(), "prospector-conformance");
const VNU_JAR = process.env.VNU_JAR;
const PASSWORD = "prospector-demo";
const SIZES = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];
// What fails the tour; the rest is reported.
const FAILING_IMPACTS = new Set(["critical", "serious"]);

const failures = [];
const notes = [];
const htmlDir = join(OUT_DIR, "html");
rmSync(OUT_DIR, { recursive: true, force: true });
mkdirSync(htmlDir, { recursive: true });

function fail(message) {
  failures.push(message);
  console.log(`  FAIL ${message}`);
}

const saved = new Set();
const started = Date.now();
const elapsed = () => `[${((Date.now() - started) / 1000).toFixed(1)} s]`;
let pagesChecked = 0;
let axeRuns = 0;
let downloadsChecked = 0;

function slug(role, name) {
  return `${role}-${name}`.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();
}

/// Checks the page in hand: its status, its HTML as served, axe at every size.
async function check(page, role, name, response, expectedStatus = 200) {
  const url = page.url().replace(BASE_URL, "");
  if (!response) {
    fail(`${role} ${name} (${url}): no response`);
    return;
  }
  if (response.status() !== expectedStatus) {
    fail(`${role} ${name} (${url}): status ${response.status()}, expected ${expectedStatus}`);
  }
  const type = response.headers()["content-type"] ?? "";
  if (!type.startsWith("text/html")) {
    fail(`${role} ${name} (${url}): content-type ${type}`);
  }
  const file = slug(role, name);
  if (!saved.has(file)) {
    saved.add(file);
    writeFileSync(join(htmlDir, `${file}.html`), await response.body());
  }
  pagesChecked += 1;
  const counts = [];
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    // Only violations are gathered: on a long list, passes cost as much again.
    const results = await new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).analyze();
    axeRuns += 1;
    let failing = 0;
    for (const v of results.violations) {
      const targets = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ");
      const line = `${role} ${name} @${size.name} (${url}): axe ${v.impact} ${v.id} ×${v.nodes.length}: ${v.help} [${targets}]`;
      if (FAILING_IMPACTS.has(v.impact)) {
        failing += 1;
        fail(line);
      } else {
        notes.push(line);
        console.log(`  note ${line}`);
      }
    }
    counts.push(`${size.name} ${failing}`);
  }
  await page.setViewportSize({ width: SIZES[0].width, height: SIZES[0].height });
  console.log(`ok   ${role} ${name} ${url} (axe critical+serious: ${counts.join(", ")}) ${elapsed()}`);
}

async function visit(page, role, name, path, expectedStatus = 200) {
  const response = await page.goto(BASE_URL + path);
  await check(page, role, name, response, expectedStatus);
}

/// Runs an action that navigates (a click, a form submitted) and checks where it lands.
async function navigate(page, role, name, action, expectedStatus = 200) {
  const [response] = await Promise.all([page.waitForNavigation(), action()]);
  await check(page, role, name, response, expectedStatus);
}

/// The href of the first element matching `selector`, or null.
async function firstHref(page, selector) {
  const link = page.locator(selector).first();
  return (await link.count()) > 0 ? link.getAttribute("href") : null;
}

/// Clicks something that downloads a CSV, then checks the file the browser saved: it must
/// be byte for byte what the same URL gives uncompressed with the same cookies, and end
/// with a newline after its last row.
async function checkDownload(page, role, name, click) {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  const url = download.url();
  const shortUrl = url.replace(BASE_URL, "");
  const failure = await download.failure();
  if (failure) {
    fail(`${role} download ${name} (${shortUrl}): the browser's download failed: ${failure}`);
    return;
  }
  const browserBytes = readFileSync(await download.path());
  const plain = await page.context().request.get(url, {
    headers: { "Accept-Encoding": "identity" },
  });
  const plainBytes = await plain.body();
  downloadsChecked += 1;
  if (plain.status() !== 200) {
    fail(`${role} download ${name} (${shortUrl}): uncompressed fetch answered ${plain.status()}`);
    return;
  }
  const problems = [];
  if (!browserBytes.equals(plainBytes)) {
    problems.push(
      `the browser saved ${browserBytes.length} bytes, the uncompressed response has ${plainBytes.length}`,
    );
  }
  if (browserBytes.length === 0 || browserBytes[browserBytes.length - 1] !== 0x0a) {
    problems.push("the file does not end with a newline after its last row");
  }
  if (problems.length > 0) {
    fail(`${role} download ${name} (${shortUrl}): ${problems.join("; ")}`);
  } else {
    const rows = browserBytes.toString("utf8").split("\n").length - 1;
    console.log(`ok   ${role} download ${name} ${shortUrl} (${browserBytes.length} bytes, ${rows} lines, whole)`);
  }
}

async function signIn(page, email) {
  await page.goto(`${BASE_URL}/login`);
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/login'] button[type=submit]")]);
  if (new URL(page.url()).pathname === "/login") {
    throw new Error(`could not sign in as ${email}`);
  }
}

/// A small CSV in the shape of a CRM export: enough rows that the import is still going on
/// when its progress page first shows, and a few rows with problems for problems.csv.
function importCsv(role) {
  const lines = ["First Name,Last Name,Email Address,Company Name,Phone Number,Job Title"];
  for (let i = 1; i <= 1500; i += 1) {
    lines.push(`Tour${i},${role},tour${i}.${role}@conformance.test,Conformance Co ${i % 40},+1 555 010 ${String(i).padStart(4, "0")},Buyer`);
  }
  lines.push(`Bad,Email,not-an-email,Conformance Co 1,,Buyer`);
  lines.push(`Again,${role},tour1.${role}@conformance.test,Conformance Co 1,,Buyer`);
  lines.push(`,,,,,`);
  return `${lines.join("\r\n")}\r\n`;
}

async function signedOutPages(browser) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const role = "visitor";
  await visit(page, role, "sign-in", "/login");
  await page.fill("#email", "nobody@demo.test");
  await page.fill("#password", "not the password");
  await navigate(page, role, "sign-in refused", () => page.click("form[action='/login'] button[type=submit]"), 401);
  await visit(page, role, "forgot password", "/password/forgot");
  await visit(page, role, "reset password, bad link", "/password/reset?token=not-a-token", 404);
  await visit(page, role, "not found", "/no-such-page", 404);
  await context.close();
}

async function tour(browser, role, email) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, email);

  await visit(page, role, "today", "/today");
  await visit(page, role, "work mode", "/today/work");

  await visit(page, role, "prospects", "/prospects");
  await checkDownload(page, role, "prospects.csv", () => page.click("a[href^='/prospects/export.csv']"));
  const prospect = await firstHref(page, "table a[href^='/prospects/']");
  await visit(page, role, "prospects, filtered", "/prospects?interest=future");
  if (prospect) {
    await visit(page, role, "prospect", prospect);
    await visit(page, role, "prospect, edit", `${prospect}/edit`);
  } else {
    fail(`${role}: the prospect list links no prospect`);
  }
  await visit(page, role, "prospect, new", "/prospects/new");
  await navigate(page, role, "prospect, new, refused", () => page.click("form.form button[type=submit]"), 422);

  await visit(page, role, "accounts", "/accounts");
  const account = await firstHref(page, "table a[href^='/accounts/']");
  if (account) {
    await visit(page, role, "account", account);
    await visit(page, role, "account, edit", `${account}/edit`);
  }
  await visit(page, role, "account, new", "/accounts/new");

  await visit(page, role, "opportunities board", "/opportunities");
  await visit(page, role, "opportunities list", "/opportunities?view=list");
  const opportunity = await firstHref(page, "table a[href^='/opportunities/']");
  if (opportunity) {
    await visit(page, role, "opportunity", opportunity);
  }

  await visit(page, role, "dashboard", "/dashboard");
  for (const widget of await page.locator("a[href*='.csv']").all()) {
    const href = await widget.getAttribute("href");
    const file = href.replace(/^\/dashboard\//, "").replace(/\?.*$/, "");
    await checkDownload(page, role, `dashboard ${file}`, () => widget.click());
  }
  const behind = await firstHref(page, "a[href^='/dashboard/list?']");
  if (behind) {
    await visit(page, role, "dashboard list", behind);
  } else {
    fail(`${role}: the dashboard links no list`);
  }
  await visit(page, role, "dashboard list, opportunities", "/dashboard/list?show=stage&stage=proposal");

  await visit(page, role, "cadences", "/cadences");
  const cadence = await firstHref(page, "table a[href^='/cadences/']");
  if (cadence) {
    await visit(page, role, "cadence", cadence);
    if (await firstHref(page, `a[href='${cadence}/edit']`)) {
      await visit(page, role, "cadence editor", `${cadence}/edit`);
      await visit(page, role, "cadence, new", "/cadences/new");
    }
  }

  await visit(page, role, "dead ends", "/dead-ends");

  await visit(page, role, "imports", "/imports");
  await checkDownload(page, role, "interactions.csv", () => page.click("form[action='/interactions/export.csv'] button[type=submit]"));
  await checkDownload(page, role, "opportunities.csv", () => page.click("form[action='/opportunities/export.csv'] button[type=submit]"));
  await page.setInputFiles("#file", {
    name: `tour-${role}.csv`,
    mimeType: "text/csv",
    buffer: Buffer.from(importCsv(role)),
  });
  await navigate(page, role, "import mapping", () => page.click("form[action^='/imports/upload'] button[type=submit]"));
  await navigate(page, role, "import progress", () => page.click("#mapping button[value=start]"));
  const progressHtml = readFileSync(join(htmlDir, `${slug(role, "import progress")}.html`), "utf8");
  if (!progressHtml.includes("Importing")) {
    console.log(`  note ${role}: the import had finished before its progress page was served`);
  }
  // The page follows the import by itself, without the reader reloading it.
  await page.locator("#progress h2", { hasNotText: "Importing" }).waitFor({ timeout: 180_000 });
  await visit(page, role, "import result", new URL(page.url()).pathname);
  const problems = page.locator("a[href$='/problems.csv']");
  if ((await problems.count()) > 0) {
    await checkDownload(page, role, "problems.csv", () => problems.first().click());
  } else {
    fail(`${role}: the import result links no problems.csv`);
  }

  await visit(page, role, "profile", "/profile");
  await page.fill("form[action='/profile/tokens'] input[name=name]", `conformance tour ${role}`);
  await navigate(page, role, "profile, new token", () => page.click("form[action='/profile/tokens'] button[type=submit]"), 201);
  const feed = page.locator("form[action='/profile/calendar']:not([data-confirm]) button[type=submit]");
  if ((await feed.count()) > 0) {
    await navigate(page, role, "profile, calendar feed", () => feed.click(), 201);
  }
  await visit(page, role, "reminder settings", "/settings/reminders");

  if (role === "admin") {
    await visit(page, role, "users", "/admin/users");
    await visit(page, role, "user, new", "/admin/users/new");
    const user = await firstHref(page, "a[href$='/edit'][href^='/admin/users/']");
    await visit(page, role, "users", "/admin/users");
    const edit = await firstHref(page, "a[href$='/edit'][href^='/admin/users/']");
    if (edit ?? user) {
      await visit(page, role, "user, edit", edit ?? user);
    }
    await visit(page, role, "teams", "/admin/teams");
    await visit(page, role, "mail", "/admin/mail");
  } else {
    // Pages outside one's role are not found, as any object outside one's scope.
    await visit(page, role, "users, not an admin", "/admin/users", 404);
  }

  await visit(page, role, "not found", "/prospects/999999999", 404);
  await visit(page, role, "bad id", "/prospects/abc", 400);
  await context.close();
}

const browser = await chromium.launch({
  executablePath: CHROME_BIN,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  // The roles go round side by side, each in its own browser context (its own cookies):
  // the machine's cores are shared between the browser and the server.
  const runs = [
    signedOutPages(browser),
    tour(browser, "rep", "rep1@demo.test"),
    tour(browser, "manager", "manager@demo.test"),
    tour(browser, "admin", "admin@demo.test"),
  ];
  for (const outcome of await Promise.allSettled(runs)) {
    if (outcome.status === "rejected") {
      fail(`the tour stopped: ${outcome.reason?.stack ?? outcome.reason}`);
    }
  }
} finally {
  await browser.close();
}
console.log(`--- ${pagesChecked} pages, ${axeRuns} axe runs, ${downloadsChecked} downloads in ${Math.round((Date.now() - started) / 1000)} s`);

// The Nu Html Checker, once over every page saved.
let vnuErrors = 0;
if (VNU_JAR) {
  const run = spawnSync(
    "java",
    ["-Xss1024k", "-jar", VNU_JAR, "--errors-only", "--format", "json", "--exit-zero-always", htmlDir],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  let report;
  try {
    report = JSON.parse(run.stderr || run.stdout);
  } catch {
    fail(`the Nu Html Checker's report is not JSON: ${(run.stderr || run.stdout || String(run.error)).slice(0, 2000)}`);
  }
  for (const m of report?.messages ?? []) {
    if (m.type === "error" || m.subType === "fatal") {
      vnuErrors += 1;
      const file = (m.url ?? "").replace(/^file:.*\//, "");
      fail(`vnu ${file}:${m.lastLine ?? "?"}: ${m.message} [${(m.extract ?? "").replace(/\s+/g, " ").trim()}]`);
    }
  }
  console.log(`--- Nu Html Checker: ${saved.size} pages, ${vnuErrors} errors`);
} else {
  fail("VNU_JAR is not set: the pages were not checked by the Nu Html Checker");
}

const axeFailures = failures.filter((f) => f.includes(": axe ")).length;
console.log(
  `conformance: ${saved.size} pages as served, vnu errors ${vnuErrors}, axe critical/serious ${axeFailures}, ` +
    `notes ${notes.length}, downloads ${downloadsChecked}`,
);
if (failures.length > 0) {
  console.log(`\n${failures.length} failure(s):`);
  for (const f of failures) console.log(`  ${f}`);
  process.exit(1);
}
