// warc_check.cjs - the older entry point of the WARC checker, kept for the tests that still call it.
//
// usage: node warc_check.cjs WARCIO_DIR EXPECTED.json FILE.warc.gz...
//   WARCIO_DIR  a directory whose node_modules holds warcio
// Runs tests/tools/warc-check/warc_check.mjs --quiet --expect EXPECTED.json FILE... with warcio from
// WARCIO_DIR: the same checks, the same exit status, its JSON lines (problems, then the summary).
// New tests call tests/tools/warc-check/warc-check, which installs warcio itself.
"use strict";
const path = require("path");
const { spawnSync } = require("child_process");

const [warcioDir, expected, ...files] = process.argv.slice(2);
const mjs = path.join(__dirname, "..", "tools", "warc-check", "warc_check.mjs");
const r = spawnSync(process.execPath, [mjs, "--quiet", "--expect", expected, ...files], {
  stdio: "inherit",
  env: { ...process.env, WARC_CHECK_PREFIX: path.resolve(warcioDir) },
});
process.exit(r.status === null ? 1 : r.status);
