// warc_check.mjs - reads WARC files with an independent reader (the warcio package) and checks every record.
//
// usage: node warc_check.mjs [--expect EXPECTED.json] [--unique] [--quiet] [--framed-digest-ok] FILE.warc.gz...
//
// Prints one JSON line per record, in file order:
//   {"file", "offset", "length" (bytes in the file: its gzip member), "type", "id", "date", "uri",
//    "ip", "status" (HTTP status of a response, from its status line), "content_length",
//    "block_digest" (declared), "block_ok" (it matches the block), "payload_digest" (declared),
//    "payload_sha1" (computed here: the entity body after the HTTP head, chunk framing removed,
//    content coding kept), "payload_ok", "payload_length", "truncated" (WARC-Truncated),
//    "concurrent_to" [ids], "decoded_length" (warcio's decoded content), "payload_covers" (null,
//    or "chunked transfer" when the declared payload digest covers the chunk framing), "problems" [...]}
// then one {"problem": ...} line per problem that belongs to no one record (a file that ends
// inside a record, a request naming no response, an expectation not met), and a last line
// {"summary": {"files", "records", "responses", "requests", "problems"}}.
// Exit status: 0 when every record parses and every check passes, 1 otherwise, 2 on bad usage.
//
// Checked for every file: records follow each other from the first byte to the last; in a .gz file
// each record is one gzip member that decompresses alone to exactly the record; the version line,
// WARC-Record-ID, WARC-Date and Content-Length are well formed; WARC-Block-Digest and (on requests,
// responses and resources) WARC-Payload-Digest match what is there; a response whose body is shorter
// than its Content-Length or whose chunked body has no last chunk says WARC-Truncated; every
// WARC-Concurrent-To names a record that exists.
// --quiet: only the records with problems, and the summary.
// --framed-digest-ok: a chunked response's WARC-Payload-Digest may cover the chunk framing (wget
// 1.21 writes it so; dtask, warcio and the IIPC's reading of WARC 1.1 leave the framing out).
// Such a record says "payload_covers": "chunked transfer" either way.
// --unique: a second response for the same WARC-Target-URI is a problem (an export of a job holds
// one capture per task).
// --expect: a JSON file {"responses": {URI: {"status", "payload_sha1"?, "payload_len"?, "truncated",
// "decoded_sha1"?}}, "request_has": [header line...], "ip": "a.b.c.d"}: every URI in it has exactly
// one response holding that (a field left out is not checked; "truncated" left out means none), every request holds those header lines, and no other URI has a
// response. Implies --unique.
//
// warcio is found in node_modules under $WARC_CHECK_PREFIX, else next to this script
// (`npm ci` here); ./warc-check beside it installs it and runs this.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const USAGE =
  "usage: warc_check.mjs [--expect EXPECTED.json] [--unique] [--quiet] [--framed-digest-ok] FILE.warc.gz...";
// Problems kept per record and in all: a broken file must not flood the output.
const PROBLEMS_PER_RECORD_MAX = 20;
const PROBLEMS_MAX = 200;

function parseArgs(argv) {
  const o = { expect: null, unique: false, quiet: false, framedDigestOk: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--expect" && i + 1 < argv.length) o.expect = argv[++i];
    else if (a === "--unique") o.unique = true;
    else if (a === "--quiet") o.quiet = true;
    else if (a === "--framed-digest-ok") o.framedDigestOk = true;
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else o.files.push(a);
  }
  if (!o.files.length) usage("no file given");
  if (o.expect) o.unique = true;
  return o;
}

function usage(why) {
  console.error(`warc_check: ${why}\n${USAGE}`);
  process.exit(2);
}

function loadWarcio() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const prefix = process.env.WARC_CHECK_PREFIX || here;
  try {
    return createRequire(path.join(path.resolve(prefix), "package.json"))("warcio");
  } catch (e) {
    console.error(
      `warc_check: cannot load warcio from ${prefix}/node_modules (${e.code || e.message}): ` +
        `run ${here}/warc-check, which installs it, or npm ci in ${prefix}`
    );
    process.exit(2);
  }
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// "sha1:" + RFC 4648 base32 of the SHA-1, as WARC tools write it (160 bits: 32 letters, no padding).
function sha1b32(bytes) {
  const md = crypto.createHash("sha1").update(bytes).digest();
  let out = "",
    acc = 0,
    bits = 0;
  for (const b of md) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return "sha1:" + out;
}

// A declared digest checked against the bytes, in the algorithm it names: sha1 in base32 (what
// dtask, wget and Heritrix write) or hex, sha256 in hex. null when the algorithm is not one of those.
function digestMatches(declared, bytes) {
  const m = /^(sha1|sha256|sha-256):(.+)$/i.exec(declared || "");
  if (!m) return null;
  const algo = m[1].toLowerCase() === "sha1" ? "sha1" : "sha256";
  if (algo === "sha1" && /^[A-Z2-7]{32}$/i.test(m[2])) return sha1b32(bytes) === "sha1:" + m[2].toUpperCase();
  return crypto.createHash(algo).update(bytes).digest("hex") === m[2].toLowerCase();
}

function indexOfCrlfCrlf(buf, from = 0) {
  return buf.indexOf("\r\n\r\n", from, "latin1");
}

// The body of a chunked message without its framing (RFC 9112 7.1), written apart from any
// writer's parser. complete: the last chunk (size 0) came. Malformed framing leaves the rest as it
// came, as dtask's writer does.
function dechunk(body) {
  const out = [];
  let i = 0;
  for (;;) {
    const lf = body.indexOf(10, i);
    if (lf < 0) break;
    const m = /^([0-9a-fA-F]{1,15})[ \t;\r]?/.exec(body.subarray(i, lf + 1).toString("latin1"));
    if (!m) break;
    const size = parseInt(m[1], 16);
    if (size === 0) return { body: Buffer.concat(out), complete: true };
    if (lf + 1 + size > body.length) {
      out.push(body.subarray(lf + 1));
      return { body: Buffer.concat(out), complete: false };
    }
    out.push(body.subarray(lf + 1, lf + 1 + size));
    i = lf + 1 + size;
    if (body[i] === 13) i++;
    if (body[i] !== 10) break;
    i++;
  }
  out.push(body.subarray(i));
  return { body: Buffer.concat(out), complete: false };
}

// An HTTP message head: first line and lower-cased field names to their values (repeated fields
// joined with ", ").
function parseHead(text) {
  const lines = text.split("\r\n");
  const fields = new Map();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(":");
    if (c <= 0) continue;
    const name = line.slice(0, c).trim().toLowerCase(),
      value = line.slice(c + 1).trim();
    fields.set(name, fields.has(name) ? fields.get(name) + ", " + value : value);
  }
  return { first: lines[0], fields };
}

const RECORD_ID = /^<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]+>$/;
const WARC_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const TRUNCATED = new Set(["length", "time", "disconnect", "unspecified"]);

class Checker {
  constructor(warcio, opts) {
    this.warcio = warcio;
    this.opts = opts;
    this.records = []; // every record's report, in order
    this.loose = []; // problems of no one record
    this.problemCount = 0;
    this.expect = opts.expect ? JSON.parse(fs.readFileSync(opts.expect, "utf8")) : null;
  }

  problem(rec, msg) {
    this.problemCount++;
    if (rec) {
      if (rec.problems.length < PROBLEMS_PER_RECORD_MAX) rec.problems.push(msg);
    } else if (this.loose.length < PROBLEMS_MAX) this.loose.push(msg);
  }

  async checkFile(file) {
    let data;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      this.problem(null, `${file}: cannot read: ${e.message}`);
      return;
    }
    const gz = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
    const first = this.records.length;
    // Pass 1: raw blocks (warcio parses the WARC headers only); digests and framing are checked here.
    let end = 0;
    try {
      const parser = new this.warcio.WARCParser(fs.createReadStream(file), { parseHttp: false });
      for await (const record of parser) {
        const block = Buffer.from(await record.readFully());
        this.checkRecord(file, data, gz, parser.offset, parser.recordLength, record, block);
        const r = this.records[this.records.length - 1];
        if (r.offset !== end) this.problem(r, `starts at byte ${r.offset}, the record before ended at ${end}`);
        end = r.offset + r.length;
      }
    } catch (e) {
      this.problem(null, `${file}: warcio stopped reading at byte ${end}: ${e.message}`);
    }
    if (this.records.length === first) this.problem(null, `${file}: no WARC record in it`);
    else if (end !== data.length)
      this.problem(null, `${file}: records end at byte ${end}, the file has ${data.length} bytes: the rest is no whole record`);

    // Pass 2: warcio's own HTTP parsing and decoding (chunks, Content-Encoding) of each response.
    let i = first;
    try {
      const parser = new this.warcio.WARCParser(fs.createReadStream(file));
      for await (const record of parser) {
        const r = this.records[i++];
        if (!r || record.warcType !== "response") {
          await record.readFully();
          continue;
        }
        const status = record.httpHeaders ? record.httpHeaders.statusCode : null;
        if (status !== r.status) this.problem(r, `warcio reads HTTP status ${status}, its status line ${r.status}`);
        try {
          const decoded = Buffer.from(await record.readFully(true));
          r.decoded_length = decoded.length;
          r.decoded_sha1 = sha1b32(decoded);
        } catch (e) {
          if (!r.truncated) this.problem(r, `warcio cannot decode its content: ${e.message}`);
        }
      }
    } catch (e) {
      this.problem(null, `${file}: warcio stopped in its HTTP pass: ${e.message}`);
    }
  }

  checkRecord(file, data, gz, offset, length, record, block) {
    const h = (name) => record.warcHeader(name) ?? null;
    const r = {
      file,
      offset,
      length,
      type: record.warcType ?? null,
      id: h("WARC-Record-ID"),
      date: h("WARC-Date"),
      uri: h("WARC-Target-URI"),
      ip: h("WARC-IP-Address"),
      status: null,
      content_length: Number(h("Content-Length")),
      block_digest: h("WARC-Block-Digest"),
      block_ok: null,
      payload_digest: h("WARC-Payload-Digest"),
      payload_sha1: null,
      payload_ok: null,
      payload_length: null,
      truncated: h("WARC-Truncated"),
      concurrent_to: record.warcConcurrentTo || [],
      decoded_length: null,
      payload_covers: null,
      problems: [],
    };
    this.records.push(r);
    const raw = gz ? this.member(r, data, offset, length) : data.subarray(offset, offset + length);
    if (raw) {
      const headEnd = indexOfCrlfCrlf(raw);
      if (!/^WARC\/1\.[01]\r\n/.test(raw.subarray(0, 10).toString("latin1")))
        this.problem(r, "does not start with a WARC/1.0 or WARC/1.1 line");
      else if (headEnd < 0) this.problem(r, "its WARC header never ends");
      else if (gz && raw.length !== headEnd + 4 + block.length + 4)
        this.problem(r, `its gzip member holds ${raw.length} bytes, not header + block + CRLF CRLF`);
      if (gz && !raw.subarray(raw.length - 4).equals(Buffer.from("\r\n\r\n")))
        this.problem(r, "its gzip member does not end with CRLF CRLF");
    }
    if (!r.type) this.problem(r, "no WARC-Type");
    if (!RECORD_ID.test(r.id || "")) this.problem(r, `WARC-Record-ID ${r.id} is not <scheme:...>`);
    if (!WARC_DATE.test(r.date || "")) this.problem(r, `WARC-Date ${r.date} is not YYYY-MM-DDThh:mm:ssZ`);
    if (!Number.isSafeInteger(r.content_length) || r.content_length < 0)
      this.problem(r, `Content-Length ${h("Content-Length")}`);
    else if (block.length !== r.content_length)
      this.problem(r, `block is ${block.length} bytes, Content-Length says ${r.content_length}`);
    if (r.truncated !== null && !TRUNCATED.has(r.truncated)) this.problem(r, `WARC-Truncated ${r.truncated}`);
    if (r.block_digest !== null) {
      r.block_ok = digestMatches(r.block_digest, block);
      if (r.block_ok === false) this.problem(r, `WARC-Block-Digest ${r.block_digest} != ${sha1b32(block)}`);
    }
    if (r.type === "response" || r.type === "request") this.checkHttp(r, record, block);
    else if (r.type === "resource") this.checkPayload(r, block);
  }

  // The gzip member at [offset, offset+length): it must decompress alone, to one record.
  member(r, data, offset, length) {
    try {
      return zlib.gunzipSync(data.subarray(offset, offset + length));
    } catch (e) {
      this.problem(r, `its gzip member does not decompress alone: ${e.message}`);
      return null;
    }
  }

  checkHttp(r, record, block) {
    const want = `application/http;msgtype=${r.type}`;
    const ctype = (record.warcContentType || "").replace(/\s+/g, "").toLowerCase();
    if (ctype !== want) this.problem(r, `Content-Type ${record.warcContentType}, want ${want}`);
    if (!r.uri) this.problem(r, "no WARC-Target-URI");
    const headEnd = indexOfCrlfCrlf(block);
    if (headEnd < 0) {
      this.problem(r, "its HTTP head never ends");
      return;
    }
    const head = parseHead(block.subarray(0, headEnd).toString("latin1"));
    let payload = block.subarray(headEnd + 4);
    if (r.type === "request") {
      const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(head.first);
      if (!m) this.problem(r, `request line ${JSON.stringify(head.first.slice(0, 80))}`);
      r.method = m ? m[1] : null;
      r.request_head = block.subarray(0, headEnd + 4).toString("latin1");
      this.checkPayload(r, payload);
      return;
    }
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: .*)?$/.exec(head.first);
    if (!m) this.problem(r, `status line ${JSON.stringify(head.first.slice(0, 80))}`);
    r.status = m ? Number(m[1]) : null;
    // The payload is the entity body: chunk framing removed, content coding kept.
    const te = head.fields.get("transfer-encoding") || "";
    let complete = true;
    if (/(^|,)\s*chunked\s*$/i.test(te)) ({ body: payload, complete } = dechunk(payload));
    else if (head.fields.has("content-length")) {
      const cl = Number(head.fields.get("content-length"));
      if (Number.isSafeInteger(cl) && payload.length < cl) complete = false;
      if (Number.isSafeInteger(cl) && payload.length > cl)
        this.problem(r, `body of ${payload.length} bytes past its Content-Length ${cl}`);
    }
    r.incomplete = !complete; // judged with its request's method (HEAD has no body) in the end
    this.checkPayload(r, payload);
    // wget (1.21) and some older writers digest a chunked body with its framing: accepted only
    // when asked, and said in payload_covers either way.
    if (r.payload_ok === false && payload.length !== block.length - headEnd - 4) {
      const framed = block.subarray(headEnd + 4);
      if (digestMatches(r.payload_digest, framed)) {
        r.payload_covers = "chunked transfer";
        if (this.opts.framedDigestOk) {
          r.payload_ok = true;
          r.problems = r.problems.filter((p) => !p.startsWith("WARC-Payload-Digest"));
          this.problemCount--;
        }
      }
    }
  }

  checkPayload(r, payload) {
    r.payload_sha1 = sha1b32(payload);
    r.payload_length = payload.length;
    if (r.payload_digest !== null) {
      r.payload_ok = digestMatches(r.payload_digest, payload);
      if (r.payload_ok === false) this.problem(r, `WARC-Payload-Digest ${r.payload_digest} != ${r.payload_sha1}`);
    } else if (r.type === "response") this.problem(r, "no WARC-Payload-Digest");
  }

  // Checks that need every record: links between records, uniqueness, expectations.
  crossCheck() {
    const byId = new Map();
    for (const r of this.records) {
      if (r.id && byId.has(r.id)) this.problem(r, `WARC-Record-ID ${r.id} again`);
      byId.set(r.id, r);
    }
    const methodOf = new Map(); // response id -> its request's method
    for (const r of this.records) {
      for (const to of r.concurrent_to) {
        const other = byId.get(to);
        if (!other) this.problem(r, `WARC-Concurrent-To ${to} names no record`);
        else if (r.type === "request" && other.type === "response") {
          if (other.uri !== r.uri) this.problem(r, `WARC-Concurrent-To ${to} is the response for ${other.uri}`);
          methodOf.set(to, r.method);
        }
      }
    }
    const responses = new Map();
    for (const r of this.records) {
      if (r.type !== "response") continue;
      const noBody = methodOf.get(r.id) === "HEAD" || r.status === 204 || r.status === 304 || r.status < 200;
      if (r.incomplete && !noBody && !r.truncated)
        this.problem(r, "its body ends before its framing says and WARC-Truncated is not set");
      if (this.opts.unique && responses.has(r.uri)) this.problem(r, `a second response for ${r.uri}`);
      if (!responses.has(r.uri)) responses.set(r.uri, r);
    }
    if (this.expect) this.checkExpected(responses);
  }

  checkExpected(responses) {
    const e = this.expect;
    for (const [uri, want] of Object.entries(e.responses || {})) {
      const got = responses.get(uri);
      if (!got) {
        this.problem(null, `${uri}: no response record`);
        continue;
      }
      const same = (what, a, b) => {
        if (a !== b) this.problem(got, `${what} ${a}, the server sent ${b}`);
      };
      same("HTTP status", got.status, want.status);
      if ("payload_len" in want) same("payload length", got.payload_length, want.payload_len);
      if ("payload_sha1" in want) same("payload digest", got.payload_sha1, want.payload_sha1);
      same("WARC-Truncated", got.truncated, want.truncated ?? null);
      if (want.decoded_sha1) same("decoded content", got.decoded_sha1, want.decoded_sha1);
    }
    for (const uri of responses.keys())
      if (!(uri in (e.responses || {}))) this.problem(responses.get(uri), `a response for ${uri}, never asked for`);
    for (const r of this.records) {
      if (e.ip && (r.type === "request" || r.type === "response") && r.ip !== e.ip)
        this.problem(r, `WARC-IP-Address ${r.ip}, want ${e.ip}`);
      if (r.type !== "request") continue;
      for (const line of e.request_has || [])
        if (!r.request_head.includes("\r\n" + line + "\r\n")) this.problem(r, `request lacks '${line}'`);
    }
  }

  report() {
    const keep = ["method", "request_head", "incomplete", "decoded_sha1"];
    let responses = 0,
      requests = 0;
    for (const r of this.records) {
      responses += r.type === "response";
      requests += r.type === "request";
      if (this.opts.quiet && !r.problems.length) continue;
      const line = { ...r };
      for (const k of keep) delete line[k];
      console.log(JSON.stringify(line));
    }
    for (const p of this.loose) console.log(JSON.stringify({ problem: p }));
    const summary = {
      files: this.opts.files.length,
      records: this.records.length,
      responses,
      requests,
      problems: this.problemCount,
    };
    console.log(JSON.stringify({ summary }));
    return this.problemCount ? 1 : 0;
  }
}

const opts = parseArgs(process.argv.slice(2));
const checker = new Checker(loadWarcio(), opts);
try {
  for (const f of opts.files) await checker.checkFile(f);
  checker.crossCheck();
} catch (e) {
  checker.problem(null, `checking failed: ${e.stack || e}`);
}
process.exitCode = checker.report();
