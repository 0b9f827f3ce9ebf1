// warc_check.cjs - reads .warc.gz files with an independent reader (the warcio package) and checks every record.
//
// usage: node warc_check.cjs WARCIO_DIR EXPECTED.json FILE.warc.gz...
//   WARCIO_DIR     a directory whose node_modules holds warcio
//   EXPECTED.json  {"responses": {URI: {status, payload_sha1, payload_len, truncated,
//                  decoded_sha1?}}, "request_has": [substring...]}
// Checks, for each file: it starts with a warcinfo record; each record is one gzip member that
// decompresses alone, and the members cover the file to its last byte; Content-Length and
// WARC-Block-Digest match the block; on each response, WARC-Payload-Digest matches the bytes after
// the HTTP head, and the status, URI, payload and truncation match what the server sent; each request
// names an existing response in WARC-Concurrent-To and holds the expected header lines. Across files,
// every expected URI has exactly one response. Prints one line per problem, exits 1 if any.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { createRequire } = require("module");

const [warcioDir, expectedPath, ...files] = process.argv.slice(2);
const { WARCParser } = createRequire(path.join(path.resolve(warcioDir), "index.js"))("warcio");
const expected = JSON.parse(fs.readFileSync(expectedPath, "utf8"));

const problems = [];
const problem = (msg) => {
  if (problems.length < 50) problems.push(msg);
};

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
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

// The body of a chunked message without its framing (RFC 9112 7.1), written apart from the worker's
// parser; malformed framing leaves the rest as it is, as the worker does.
function dechunk(body) {
  const out = [];
  let i = 0;
  for (;;) {
    const lf = body.indexOf(10, i);
    if (lf < 0) break;
    const m = /^([0-9a-fA-F]{1,15})[ \t;\r]?/.exec(body.subarray(i, lf + 1).toString("latin1"));
    if (!m) break;
    const size = parseInt(m[1], 16);
    if (size === 0) return Buffer.concat(out);
    if (lf + 1 + size > body.length) {
      out.push(body.subarray(lf + 1));
      return Buffer.concat(out);
    }
    out.push(body.subarray(lf + 1, lf + 1 + size));
    i = lf + 1 + size;
    if (body[i] === 13) i++;
    if (body[i] !== 10) break;
    i++;
  }
  out.push(body.subarray(i));
  return Buffer.concat(out);
}

function indexOfCrlfCrlf(buf) {
  for (let i = 0; i + 3 < buf.length; i++)
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  return -1;
}

async function checkFile(file, responses, requests) {
  const data = fs.readFileSync(file);
  // Pass 1: raw blocks (no HTTP parsing), digests, members.
  const parser = new WARCParser(fs.createReadStream(file), { parseHttp: false });
  let n = 0,
    end = 0;
  for await (const record of parser) {
    const type = record.warcType;
    const where = `${path.basename(file)} record ${n} (${type} ${record.warcTargetURI || ""})`;
    const block = Buffer.from(await record.readFully());
    const offset = parser.offset,
      length = parser.recordLength;
    if (n === 0 && type !== "warcinfo") problem(`${where}: the file does not start with warcinfo`);
    if (offset !== end) problem(`${where}: starts at ${offset}, the member before ended at ${end}`);
    end = offset + length;
    let alone;
    try {
      alone = zlib.gunzipSync(data.subarray(offset, offset + length));
    } catch (e) {
      problem(`${where}: its gzip member does not decompress alone: ${e.message}`);
      alone = Buffer.alloc(0);
    }
    if (!alone.subarray(0, 9).equals(Buffer.from("WARC/1.1\r")))
      problem(`${where}: its member does not start with WARC/1.1`);
    if (!alone.subarray(alone.length - 4).equals(Buffer.from("\r\n\r\n")))
      problem(`${where}: its member does not end with CRLF CRLF`);
    if (block.length !== record.warcContentLength)
      problem(`${where}: block is ${block.length} bytes, Content-Length says ${record.warcContentLength}`);
    if (sha1b32(block) !== record.warcBlockDigest)
      problem(`${where}: WARC-Block-Digest ${record.warcBlockDigest} != ${sha1b32(block)}`);
    const id = record.warcHeader("WARC-Record-ID");
    if (!/^<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>$/.test(id))
      problem(`${where}: WARC-Record-ID ${id} is not a v4 urn:uuid`);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(record.warcDate || ""))
      problem(`${where}: WARC-Date ${record.warcDate}`);
    if (type === "response") {
      if (record.warcContentType !== "application/http;msgtype=response")
        problem(`${where}: Content-Type ${record.warcContentType}`);
      const head = indexOfCrlfCrlf(block);
      let payload = head < 0 ? Buffer.alloc(0) : block.subarray(head + 4);
      // The payload is the entity body: chunk framing removed, content coding kept.
      if (/\r\ntransfer-encoding:[^\r]*chunked[ \t]*\r\n/i.test(block.subarray(0, head + 2).toString("latin1")))
        payload = dechunk(payload);
      if (sha1b32(payload) !== record.warcPayloadDigest)
        problem(`${where}: WARC-Payload-Digest ${record.warcPayloadDigest} != ${sha1b32(payload)}`);
      if (record.warcHeader("WARC-IP-Address") !== "127.0.0.1")
        problem(`${where}: WARC-IP-Address ${record.warcHeader("WARC-IP-Address")}`);
      const status = Number(block.subarray(0, 20).toString("latin1").split(" ")[1]);
      const uri = record.warcTargetURI;
      if (responses.has(uri)) problem(`${where}: a second response for ${uri}`);
      responses.set(uri, {
        id,
        status,
        payloadDigest: record.warcPayloadDigest,
        payloadLen: payload.length,
        truncated: record.warcHeader("WARC-Truncated") || null,
        where,
      });
    } else if (type === "request") {
      if (record.warcContentType !== "application/http;msgtype=request")
        problem(`${where}: Content-Type ${record.warcContentType}`);
      const text = block.toString("latin1");
      if (!text.startsWith("GET ") || !text.endsWith("\r\n\r\n"))
        problem(`${where}: not a GET request head`);
      for (const want of expected.request_has || [])
        if (!text.includes("\r\n" + want + "\r\n")) problem(`${where}: request lacks '${want}'`);
      requests.push({ uri: record.warcTargetURI, to: record.warcConcurrentTo, where });
    } else if (type === "warcinfo") {
      if (n !== 0) problem(`${where}: warcinfo inside the file`);
      const text = block.toString("utf8");
      for (const f of ["software: dtask/", "format: WARC File Format 1.1", "hostname: "])
        if (!text.includes(f)) problem(`${where}: warcinfo lacks '${f}'`);
    } else problem(`${where}: unexpected record type`);
    n++;
  }
  if (end !== data.length) problem(`${file}: records end at ${end}, the file has ${data.length} bytes`);

  // Pass 2: warcio's own HTTP parsing and content decoding.
  const parsed = new WARCParser(fs.createReadStream(file));
  for await (const record of parsed) {
    if (record.warcType !== "response") continue;
    const uri = record.warcTargetURI;
    const want = expected.responses[uri];
    const status = record.httpHeaders && record.httpHeaders.statusCode;
    if (want && status !== want.status) problem(`${uri}: warcio reads HTTP status ${status}, want ${want.status}`);
    if (want && want.decoded_sha1) {
      const decoded = Buffer.from(await record.readFully(true));
      if (sha1b32(decoded) !== want.decoded_sha1)
        problem(`${uri}: decoded content ${sha1b32(decoded)} (${decoded.length} bytes), want ${want.decoded_sha1}`);
    } else await record.readFully();
  }
  return n;
}

(async () => {
  const responses = new Map(),
    requests = [];
  let records = 0;
  for (const f of files) records += await checkFile(f, responses, requests);
  const ids = new Set([...responses.values()].map((r) => r.id));
  for (const r of requests) {
    if (r.to.length !== 1 || !ids.has(r.to[0]))
      problem(`${r.where}: WARC-Concurrent-To ${r.to} names no response`);
    else if (responses.get(r.uri)?.id !== r.to[0]) problem(`${r.where}: its response is for another URI`);
  }
  for (const [uri, want] of Object.entries(expected.responses)) {
    const got = responses.get(uri);
    if (!got) {
      problem(`${uri}: no response record`);
      continue;
    }
    if (got.status !== want.status) problem(`${uri}: status ${got.status}, want ${want.status}`);
    if (got.payloadLen !== want.payload_len)
      problem(`${uri}: payload ${got.payloadLen} bytes, want ${want.payload_len}`);
    if (got.payloadDigest !== want.payload_sha1)
      problem(`${uri}: payload digest ${got.payloadDigest}, the server sent ${want.payload_sha1}`);
    if (got.truncated !== want.truncated)
      problem(`${uri}: WARC-Truncated ${got.truncated}, want ${want.truncated}`);
  }
  for (const uri of responses.keys())
    if (!(uri in expected.responses)) problem(`${uri}: a response record for a URI never asked for`);
  if (requests.length !== responses.size)
    problem(`${requests.length} request records for ${responses.size} responses`);
  for (const p of problems) console.log("PROBLEM " + p);
  console.log(
    `${files.length} files, ${records} records, ${responses.size} responses, ${requests.length} requests, ${problems.length} problems`
  );
  process.exit(problems.length ? 1 : 0);
})().catch((e) => {
  console.log("PROBLEM reading failed: " + (e.stack || e));
  process.exit(1);
});
