// tests/peer/chromium-call.js — headless Chromium (fake camera and
// microphone) in a call with tern-peer, relay-only through a TURN server,
// the descriptions traded through tern-peer's stdin/stdout (tern-peer(1)).
//
//   node chromium-call.js --tern-peer PATH --port P --user U --pass W
//        --transport udp|tcp --role page-offers|tern-offers --seconds N
//        --stats FILE [--name NAME]
//
// Prints "PASS peer/NAME" or "FAIL peer/NAME: why" (what the page's
// getStats shows: frames decoded from tern-peer's VP8, audio samples from
// its Opus; what tern-peer decoded of Chromium's video and audio).
// Needs playwright-core (tests/interop/browser/node_modules, NODE_PATH);
// what it shares with chromium-signal.js is in chromium-lib.js.
'use strict';
const L = require('./chromium-lib');

const TERN_PEER = L.arg('tern-peer');
const PORT = L.arg('port');
const USER = L.arg('user', 'alice');
const PASS = L.arg('pass', 'wonderland');
const TRANSPORT = L.arg('transport', 'udp');
const ROLE = L.arg('role', 'page-offers');
const SECONDS = Number(L.arg('seconds', '6'));
const STATS = L.arg('stats');
const NAME = L.arg('name', `chromium-${ROLE}-${TRANSPORT}`);

// tern-peer's description on its stdout, up to an empty line.
function readDescription(proc) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d.toString();
      const i = buf.search(/\r?\n\r?\n/);
      if (i >= 0) {
        proc.stdout.off('data', onData);
        resolve(buf.slice(0, i).replace(/\r?\n/g, '\r\n') + '\r\n');
      }
    };
    proc.stdout.on('data', onData);
    proc.on('exit', (c) => reject(new Error(`tern-peer exited ${c} before its description`)));
  });
}

// In the page: the peer connection, and a promise for the end of gathering
// (the descriptions go whole, without trickle).
async function pageSetup(page, turn) {
  await page.evaluate(async (o) => {
    const pc = await window.makePc(o);
    window.gathered = new Promise((r) => {
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); };
    });
  }, { turn, user: USER, pass: PASS });
}

// The page offers; tern-peer answers, then answers the page's second offer
// (the chat sample's page renegotiates right after the first answer: a
// second offer in the same call, answered without restarting ICE or DTLS).
async function pageOffers(page, proc) {
  const offer = await page.evaluate(async () => {
    await window.pc.setLocalDescription(await window.pc.createOffer());
    await window.gathered;
    return window.pc.localDescription.sdp;
  });
  proc.stdin.write(offer.trimEnd() + '\r\n\r\n');
  const answer = await readDescription(proc);
  await page.evaluate(async (sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer);
  const re = await page.evaluate(async () => {
    await new Promise((r) => setTimeout(r, 1500));
    await window.pc.setLocalDescription(await window.pc.createOffer());
    return window.pc.localDescription.sdp;
  });
  const reanswer = readDescription(proc);
  proc.stdin.write(re.trimEnd() + '\r\n\r\n');
  await page.evaluate(async (sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), await reanswer);
}

async function ternOffers(page, proc) {
  const offer = await readDescription(proc);
  const answer = await page.evaluate(async (sdp) => {
    await window.pc.setRemoteDescription({ type: 'offer', sdp });
    await window.pc.setLocalDescription(await window.pc.createAnswer());
    await window.gathered;
    return window.pc.localDescription.sdp;
  }, offer);
  proc.stdin.write(answer.trimEnd() + '\r\n\r\n');
}

// After the re-offer: one DTLS handshake, two answers, still connected.
function checkReoffer(ps, probs) {
  const log = L.peerLog(STATS);
  const n = (log.match(/DTLS connected/g) || []).length;
  if (n !== 1) probs.push(`tern-peer's DTLS connected ${n} times across the re-offer (1 expected)`);
  if ((log.match(/local answer:/g) || []).length !== 2) probs.push('tern-peer did not answer the re-offer');
  if (ps && ps.state !== 'connected') probs.push(`the page's connection is ${ps.state} after the re-offer`);
}

async function call(page, probs, ctx) {
  const turn = `turn:127.0.0.1:${PORT}?transport=${TRANSPORT}`;
  await pageSetup(page, turn);
  const proc = L.spawnPeer(TERN_PEER, [ROLE === 'tern-offers' ? '--offer' : '--answer',
    '--sdp-in', '-', '--sdp-out', '-', '--relay-only', '--loopback', '--interface', 'lo', '--ipv4',
    '--turn', turn, '--user', USER, '--pass', PASS, '--duration', String(SECONDS), '--timeout', '25',
    '--stats', STATS, '-v'], SECONDS, STATS, ['pipe', 'pipe']);
  ctx.proc = proc;
  let reoffered = false;
  if (ROLE === 'tern-offers') {
    await ternOffers(page, proc);
  } else {
    await pageOffers(page, proc);
    reoffered = true;
  }
  const ps = await L.statsUntilExit(page, proc, SECONDS + 30);
  L.checkExit(await proc.exited, STATS, probs);
  L.checkPage(ps, probs);
  if (reoffered) checkReoffer(ps, probs);
  const last = L.lastStats(STATS, probs);
  L.checkPeer(last, probs, true);
  if (last && !probs.length) L.summary(NAME, ps, last);
}

L.run(NAME, () => L.withPage(NAME, 'tern-peer test', call));
