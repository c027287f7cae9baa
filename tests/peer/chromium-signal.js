// tests/peer/chromium-signal.js — headless Chromium and tern-peer in a call
// through tern-signal, the page speaking the classic WebRTC chat sample's
// protocol (username, userlist, video-offer/answer, new-ice-candidate,
// hang-up) as that sample's page does: trickled candidates, and a second
// offer right after the first answer. Relay-only through a TURN server.
//
//   node chromium-signal.js --tern-peer PATH --signal PORT --port P
//        --transport udp|tcp --role page-calls|tern-calls --seconds N
//        --stats FILE [--name NAME]
//
// Prints "PASS peer/NAME" or "FAIL peer/NAME: why". What it shares with
// chromium-call.js (browser, page, stats, checks) is in chromium-lib.js.
'use strict';
const L = require('./chromium-lib');

const TERN_PEER = L.arg('tern-peer');
const SIGNAL = L.arg('signal');
const PORT = L.arg('port');
const TRANSPORT = L.arg('transport', 'udp');
const ROLE = L.arg('role', 'page-calls');
const SECONDS = Number(L.arg('seconds', '6'));
const STATS = L.arg('stats');
const NAME = L.arg('name', `chromium-signal-${ROLE}-${TRANSPORT}`);

// The page's side: the chat sample's client, reduced to the call.
async function pageClient(page, opts) {
  await page.evaluate((o) => {
    window.log = [];
    window.offers = 0;
    const ws = new WebSocket(o.url, 'json');
    const send = (m) => ws.send(JSON.stringify(m));
    let pc = null;
    let peer = null;
    // candidates trickle: gathering starts with the first description,
    // after makePc has returned
    const makePc = async () => {
      pc = await window.makePc({ turn: o.turn, user: 'alice', pass: 'wonderland' });
      pc.onicecandidate = (e) => {
        if (e.candidate) send({ type: 'new-ice-candidate', target: peer, candidate: e.candidate });
      };
    };
    const offer = async () => {
      window.offers++;
      await pc.setLocalDescription(await pc.createOffer());
      send({ type: 'video-offer', name: o.me, target: peer, sdp: pc.localDescription });
    };
    // one message at a time, in order: a candidate must wait for the
    // offer before it (getUserMedia and setRemoteDescription take time)
    let chain = Promise.resolve();
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      chain = chain.then(() => handle(m)).catch((e) => window.log.push('error ' + e.message));
    };
    const handle = async (m) => {
      window.log.push(m.type);
      if (m.type === 'id') send({ type: 'username', name: o.me, id: m.id, date: Date.now() });
      if (m.type === 'userlist' && o.call && !pc && m.users.includes(o.call)) {
        peer = o.call;
        await makePc();
        await offer();
      }
      if (m.type === 'video-offer') {
        peer = m.name;
        if (!pc) await makePc();
        await pc.setRemoteDescription(m.sdp);
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: 'video-answer', name: o.me, target: peer, sdp: pc.localDescription });
      }
      if (m.type === 'video-answer') {
        await pc.setRemoteDescription(m.sdp);
        // the sample's page renegotiates once right after its first answer
        if (window.offers === 1) setTimeout(offer, 1000);
      }
      if (m.type === 'new-ice-candidate' && pc) {
        try { await pc.addIceCandidate(m.candidate); } catch (e) { window.log.push('bad-candidate ' + e.message); }
      }
      if (m.type === 'hang-up') window.hungUp = true;
    };
  }, opts);
}

// tern-peer's log after the call: one DTLS handshake; as the called side,
// two answers (the page's re-offer).
function checkLog(probs) {
  const log = L.peerLog(STATS);
  const dtls = (log.match(/DTLS connected/g) || []).length;
  if (dtls !== 1) probs.push(`tern-peer's DTLS connected ${dtls} times (1 expected)`);
  if (ROLE === 'page-calls') {
    const answers = (log.match(/local answer:/g) || []).length;
    if (answers !== 2) probs.push(`tern-peer answered ${answers} offers (2 expected: the re-offer)`);
  }
}

async function call(page, probs, ctx) {
  const turn = `turn:127.0.0.1:${PORT}?transport=${TRANSPORT}`;
  const url = `ws://127.0.0.1:${SIGNAL}/ws`;
  const targs = ['--signal', url, '--name', 'tern', '--relay-only', '--loopback', '--interface', 'lo',
    '--ipv4', '--turn', turn, '--user', 'alice', '--pass', 'wonderland', '--duration', String(SECONDS),
    '--stats', STATS, '-v'];
  if (ROLE === 'tern-calls') targs.push('--call', 'page');
  const proc = L.spawnPeer(TERN_PEER, targs, SECONDS, STATS, ['ignore', 'ignore']);
  ctx.proc = proc;
  await pageClient(page, { url, turn, me: 'page', call: ROLE === 'page-calls' ? 'tern' : null });
  const ps = await L.statsUntilExit(page, proc, SECONDS + 35);
  const code = await proc.exited;
  await new Promise((r) => setTimeout(r, 500));
  const end = await L.pageStats(page);
  L.checkExit(code, STATS, probs);
  L.checkPage(ps, probs);
  if (!end.hungUp) probs.push('the page got no hang-up when tern-peer ended the call');
  checkLog(probs);
  const last = L.lastStats(STATS, probs);
  L.checkPeer(last, probs, false);
  if (last && !probs.length) L.summary(NAME, ps, last);
}

L.run(NAME, () => L.withPage(NAME, 'tern-peer signaling test', call));
