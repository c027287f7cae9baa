#!/usr/bin/env node
// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) as a
// TURN client: one page, two RTCPeerConnections, iceTransportPolicy 'relay', the
// only ICE server the TURN server under test on 127.0.0.1. Fake camera video from
// pc1 to pc2 and a data-channel message. Asserted through getStats():
//   inbound-rtp video framesDecoded > 0 on pc2, the message arrived, and on BOTH
//   peer connections the selected pair's local candidate is candidateType 'relay'
//   with relayProtocol = the TURN transport.
// Negative control: a wrong password yields no relay candidate and no connection.
//
//   node turn-call.js --port P [--user alice --pass wonderland]
//                     [--transports udp,tcp] [--timeout 30]
// Prints "PASS browser/..." / "FAIL browser/...: why" lines; exit 1 on a failure.
// Everything stays on loopback: the page comes from a tiny HTTP server on
// 127.0.0.1 (a secure context, so getUserMedia works), Chromium runs with the
// flags that keep it off the network.
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');

const { CHROMIUM, arg, launch } = require('../../lib/chromium');

const PORT = Number(arg('port', '0'));
const USER = arg('user', 'alice');
const PASS = arg('pass', 'wonderland');
const TRANSPORTS = arg('transports', 'udp,tcp').split(',').filter(Boolean);
const TIMEOUT_S = Number(arg('timeout', '30'));
const LOGDIR = arg('logdir', '');
let failed = 0;
let passed = 0;

function pass(name) { passed++; console.log(`PASS browser/${name}`); }
function fail(name, why) {
  failed++;
  console.log(`FAIL browser/${name}: ${String(why).replace(/\s+/g, ' ')}`);
}
function check(name, ok, why) { if (ok) pass(name); else fail(name, why); }

const PAGE = `<!doctype html><meta charset="utf-8"><title>tern TURN call</title>
<body><script>
// call({url, username, credential, timeoutMs}) -> what getStats() showed
window.call = async function call(o) {
  const log = [];
  const t0 = performance.now();
  const cfg = { iceServers: [{ urls: [o.url], username: o.username, credential: o.credential }],
                iceTransportPolicy: 'relay' };
  const pc1 = new RTCPeerConnection(cfg), pc2 = new RTCPeerConnection(cfg);
  const cands = { pc1: [], pc2: [] }, errors = [];
  for (const [name, a, b] of [['pc1', pc1, pc2], ['pc2', pc2, pc1]]) {
    a.onicecandidate = e => { if (e.candidate) { cands[name].push(e.candidate.candidate); b.addIceCandidate(e.candidate).catch(x => errors.push(name + ' addIceCandidate: ' + x)); } };
    a.onicecandidateerror = e => errors.push(name + ' icecandidateerror ' + e.errorCode + ' ' + e.errorText + ' ' + e.url);
    a.oniceconnectionstatechange = () => log.push(Math.round(performance.now() - t0) + 'ms ' + name + ' ice ' + a.iceConnectionState);
  }
  let message = null;
  pc2.ondatachannel = e => { e.channel.onmessage = m => { message = m.data; }; };
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
  stream.getTracks().forEach(t => pc1.addTrack(t, stream));
  const dc = pc1.createDataChannel('tern');
  dc.onopen = () => dc.send('hello through TURN');
  const offer = await pc1.createOffer();
  await pc1.setLocalDescription(offer);
  await pc2.setRemoteDescription(offer);
  const answer = await pc2.createAnswer();
  await pc2.setLocalDescription(answer);
  await pc1.setRemoteDescription(answer);

  async function selected(pc) {
    const st = await pc.getStats();
    let pair = null;
    st.forEach(r => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = st.get(r.selectedCandidatePairId); });
    if (!pair) st.forEach(r => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });
    if (!pair) return null;
    const l = st.get(pair.localCandidateId) || {}, rm = st.get(pair.remoteCandidateId) || {};
    return { local: { candidateType: l.candidateType, relayProtocol: l.relayProtocol, protocol: l.protocol,
                      address: l.address, port: l.port, url: l.url },
             remote: { candidateType: rm.candidateType, address: rm.address, port: rm.port },
             bytesSent: pair.bytesSent, bytesReceived: pair.bytesReceived };
  }
  let framesDecoded = 0, s1 = null, s2 = null;
  const deadline = performance.now() + o.timeoutMs;
  while (performance.now() < deadline) {
    const st = await pc2.getStats();
    st.forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') framesDecoded = r.framesDecoded || 0; });
    s1 = await selected(pc1); s2 = await selected(pc2);
    if (framesDecoded > 0 && message !== null && s1 && s2) break;
    await new Promise(r => setTimeout(r, 250));
  }
  const out = { framesDecoded, message, pc1: s1, pc2: s2, cands, errors, log,
                ice: [pc1.iceConnectionState, pc2.iceConnectionState],
                ms: Math.round(performance.now() - t0) };
  stream.getTracks().forEach(t => t.stop());
  pc1.close(); pc2.close();
  return out;
};
</script>`;

async function main() {
  if (!PORT) { console.error('usage: turn-call.js --port P'); process.exit(2); }
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    fail('playwright-core', `cannot load playwright-core (run npm ci --no-audit --no-fund in ${__dirname}): ${e.message}`);
    return;
  }
  if (!fs.existsSync(CHROMIUM)) { fail('chromium', `${CHROMIUM} not found (Debian package chromium)`); return; }

  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise((res, rej) => { srv.on('error', rej); srv.listen(0, '127.0.0.1', res); });
  const origin = `http://127.0.0.1:${srv.address().port}/`;

  const browser = await launch(chromium, {
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection'],
  });
  try {
    const page = await browser.newPage();
    const consoleLines = [];
    page.on('console', m => consoleLines.push(m.text()));
    await page.goto(origin, { timeout: 10000 });
    const runs = TRANSPORTS.map(t => ({ t, pass: PASS, good: true }));
    runs.push({ t: TRANSPORTS[0] || 'udp', pass: 'not-' + PASS, good: false });
    for (const run of runs) {
      const url = `turn:127.0.0.1:${PORT}?transport=${run.t}`;
      const name = run.good ? run.t : `${run.t}-wrong-password`;
      const t0 = Date.now();
      let r;
      try {
        r = await page.evaluate(o => window.call(o),
          { url, username: USER, credential: run.pass, timeoutMs: (run.good ? TIMEOUT_S : 8) * 1000 });
      } catch (e) {
        fail(`${name}-call`, `page.evaluate failed: ${e.message}`);
        continue;
      }
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      console.error(`# ${name}: ${url} ${secs} s: ${JSON.stringify(r)}`);
      if (LOGDIR) fs.writeFileSync(path.join(LOGDIR, `${name}.json`), JSON.stringify(r, null, 1));
      const why = `(${url}; ice ${r.ice.join('/')}; candidates pc1 ${r.cands.pc1.length} pc2 ${r.cands.pc2.length}; errors: ${r.errors.slice(0, 2).join('; ') || 'none'})`;
      if (!run.good) {
        const relays = r.cands.pc1.concat(r.cands.pc2).filter(c => / typ relay /.test(c));
        check(`${name}-no-relay-candidate`, relays.length === 0, `a wrong password still gathered relay candidates: ${relays.slice(0, 2).join(' | ')}`);
        check(`${name}-no-call`, r.framesDecoded === 0 && r.message === null,
          `frames ${r.framesDecoded}, message ${r.message} ${why}`);
        continue;
      }
      check(`${name}-frames-decoded`, r.framesDecoded > 0, `inbound video framesDecoded ${r.framesDecoded} after ${secs} s ${why}`);
      check(`${name}-datachannel-message`, r.message === 'hello through TURN', `message ${JSON.stringify(r.message)} ${why}`);
      for (const pc of ['pc1', 'pc2']) {
        const s = r[pc];
        check(`${name}-${pc}-selected-pair-relay`,
          s && s.local.candidateType === 'relay' && s.local.relayProtocol === run.t,
          `selected pair ${JSON.stringify(s)} (want local candidateType relay, relayProtocol ${run.t}) ${why}`);
      }
    }
    if (LOGDIR) fs.writeFileSync(path.join(LOGDIR, 'console.log'), consoleLines.join('\n') + '\n');
  } finally {
    await browser.close().catch(() => {});
    srv.close();
  }
}

const hard = setTimeout(() => { fail('timeout', `turn-call.js still running after ${TIMEOUT_S * 4 + 60} s`); process.exit(1); },
  (TIMEOUT_S * 4 + 60) * 1000);
main().catch(e => fail('run', e.stack || e.message)).finally(() => {
  clearTimeout(hard);
  if (passed === 0 && failed === 0) fail('run', 'no check ran');
  process.exit(failed ? 1 : 0);
});
