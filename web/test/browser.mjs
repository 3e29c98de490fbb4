// Drive the dtwin page in headless Chromium (Debian's, via puppeteer-core):
//   node browser.mjs URL OUTDIR [check|bench] [seconds]
// check: no console errors; robot and ghost drawn (screenshot not blank, both
// colours present); the error plot advances; "lock left_knee" shows the fault.
// bench: frames per second over `seconds` with the page as it is.
// pair: (dtwin up --twins N) choose pair `seconds` (an index) in the selector:
// the page shows that pair (its topics and /tf frames) and its joints move.
// Exit 0 pass, 1 fail, 77 no browser.
import fs from "node:fs";
import path from "node:path";
import puppeteer from "puppeteer-core";

const [url, outDir, mode = "check", secondsArg = "10"] = process.argv.slice(2);
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(chromium)) { console.log(`SKIP: no ${chromium}`); process.exit(77); }
fs.mkdirSync(outDir, { recursive: true });
const profile = fs.mkdtempSync(path.join(outDir, "profile-"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fail = (msg) => { console.log(`FAIL: ${msg}`); process.exitCode = 1; };

const browser = await puppeteer.launch({
  executablePath: chromium, headless: true, userDataDir: profile,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader", "--window-size=1400,850"],
});
const errors = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 850 });
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  const waitFor = async (what, fn, ms = 30000) => {
    try { await page.waitForFunction(fn, { timeout: ms, polling: 100 }); return true; }
    catch { fail(`timed out waiting for ${what}`); return false; }
  };
  await waitFor("the scene", "window.__dtwin && window.__dtwin.scene && window.__dtwin.tf > 5");
  if (mode === "pair") {
    const k = Number(secondsArg);
    const n = await page.$$eval("#pair option", (o) => o.length);
    const shown = await page.evaluate("!document.getElementById('pair-box').hidden");
    if (!shown || n <= k) fail(`pair selector: visible ${shown}, ${n} pairs, want pair ${k}`);
    else {
      const want = await page.evaluate((i) => window.__dtwin.scene.pairs[i].robot_ns, k);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.select("#pair", String(k))]);
      console.log(`selected pair ${k} (${want}): ${page.url()}`);
      await waitFor("the scene of the pair", "window.__dtwin && window.__dtwin.scene && window.__dtwin.tf > 5");
      const got = await page.evaluate("window.__dtwin.pairRobotNs");
      if (got !== want) fail(`the page shows ${got}, not ${want}`);
      else console.log(`ok: the page shows pair ${k}: ${got}`);
      // its joints move: the robot column of the joint table changes
      const table = () => page.$$eval("#joints tbody tr", (rows) => rows.map((r) => r.cells[1].textContent));
      await waitFor("the joint table", "document.querySelectorAll('#joints tbody tr').length > 0");
      const a = await table();
      let moved = 0;
      for (let i = 0; i < 50 && moved === 0; i++) {
        await sleep(200);
        const b = await table();
        moved = b.filter((x, j) => x !== a[j]).length;
      }
      if (moved === 0) fail(`none of ${a.length} joints of ${want} moved in 10 s`);
      else console.log(`ok: ${moved} of ${a.length} joints of ${want} moved`);
      // robot and twin drawn from the pair's own /tf frames (<robot_ns>/<link>)
      const posed = await page.evaluate("window.__dtwin.posed");
      const bodies = await page.evaluate("window.__dtwin.scene.model.bodies.length - 1");
      if (!(posed.robot === bodies && posed.twin === bodies)) fail(`posed from /tf: robot ${posed.robot}, twin ${posed.twin} of ${bodies} bodies`);
      else console.log(`ok: robot and twin of pair ${k} posed from their /tf frames (${bodies} bodies each)`);
      await page.screenshot({ path: path.join(outDir, `viewer-pair${k}.png`) });
    }
    if (errors.length) fail(`console errors: ${errors.join(" | ")}`);
  } else if (mode === "bench") {
    const secs = Number(secondsArg);
    const f0 = await page.evaluate("window.__dtwin.frames");
    const t0 = Date.now();
    await sleep(secs * 1000);
    const f1 = await page.evaluate("window.__dtwin.frames");
    const fps = (f1 - f0) / ((Date.now() - t0) / 1000);
    console.log(`page frames per second: ${fps.toFixed(1)}`);
    await page.screenshot({ path: path.join(outDir, "viewer-bench.png") });
    if (fps < 30) fail(`page renders ${fps.toFixed(1)} frames/s < 30`);
  } else {
    await sleep(1500);
    const p0 = await page.evaluate("window.__dtwin.errorPoints");
    await sleep(1500);
    const p1 = await page.evaluate("window.__dtwin.errorPoints");
    if (!(p1 > p0)) fail(`error plot did not advance (${p0} -> ${p1} points)`);
    else console.log(`ok: error plot advanced ${p0} -> ${p1} points`);
    const shot = path.join(outDir, "viewer.png");
    await page.screenshot({ path: shot });
    // robot (solid, green..red) and ghost (light blue) both drawn in the 3D view
    const px = await page.evaluate(() => {
      const c = document.querySelector("#view canvas");
      const g = c.getContext("webgl2") || c.getContext("webgl");
      const w = g.drawingBufferWidth, h = g.drawingBufferHeight;
      const buf = new Uint8Array(w * h * 4);
      g.readPixels(0, 0, w, h, g.RGBA, g.UNSIGNED_BYTE, buf);
      let solid = 0, ghost = 0, bg = 0;
      for (let i = 0; i < buf.length; i += 16) {
        const r = buf[i], gg = buf[i + 1], b = buf[i + 2];
        if (Math.abs(r - 0x15) < 6 && Math.abs(gg - 0x18) < 6 && Math.abs(b - 0x1c) < 6) bg++;
        else if (gg > r + 40 && gg > b + 20) solid++;            // green robot links
        else if (b > r + 15 && b > gg && b > 70) ghost++;         // bluish ghost over background
      }
      return { solid, ghost, bg, total: buf.length / 16 };
    });
    console.log(`pixels: robot ${px.solid}, ghost ${px.ghost}, background ${px.bg} of ${px.total}`);
    if (px.solid < 200) fail("the robot is not drawn (too few robot-coloured pixels)");
    if (px.ghost < 100) fail("the twin ghost is not drawn (too few ghost-coloured pixels)");
    if (px.bg > 0.995 * px.total) fail("the 3D view is blank");
    // the "lock left knee" control
    const hasControls = await page.evaluate("!document.getElementById('fault-row').hidden");
    if (!hasControls) fail("no fault controls on the page");
    else {
      // inject while left_knee is not reported, so what the page shows next is the fault's doing
      await waitFor("a moment without a left_knee report", "!window.__dtwin.faultJoints.includes('left_knee')", 30000);
      await page.select("#fault-kind", "lock");
      await page.select("#fault-joint", "left_knee");
      await page.click("#inject");
      console.log("clicked: lock left_knee");
      if (await waitFor("the fault on the page", "window.__dtwin.faultJoints.includes('left_knee') && !document.getElementById('fault-banner').hidden && document.querySelector('tr.faulty[data-joint=\"left_knee\"]') && /left_knee/.test(document.getElementById('fault-banner').textContent)", 60000)) {
        await page.screenshot({ path: path.join(outDir, "viewer-fault.png") });
        const banner = await page.$eval("#fault-banner", (e) => e.textContent);
        console.log(`ok: banner "${banner}", joint table row left_knee highlighted`);
      }
    }
    if (errors.length) fail(`console errors: ${errors.join(" | ")}`);
    else console.log("ok: no console errors");
  }
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
