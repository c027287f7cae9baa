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
// Prints "PASS peer/NAME" or "FAIL peer/NAME: why".
'use strict';
const http = require('http');
const fs = require('fs');
const { spawn } = require('child_process');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}
const TERN_PEER = arg('tern-peer');
const SIGNAL = arg('signal');
const PORT = arg('port');
const TRANSPORT = arg('transport', 'udp');
const ROLE = arg('role', 'page-calls');
const SECONDS = Number(arg('seconds', '6'));
const STATS = arg('stats');
const NAME = arg('name', `chromium-signal-${ROLE}-${TRANSPORT}`);

function result(probs) {
  console.log(probs.length ? `FAIL peer/${NAME}: ${probs.join('; ')}` : `PASS peer/${NAME}`);
}

// The page's side: the chat sample's client, reduced to the call.
async function pageClient(page, opts) {
  await page.evaluate((o) => {
    window.log = [];
    window.offers = 0;
    const ws = new WebSocket(o.url, 'json');
    const send = (m) => ws.send(JSON.stringify(m));
    let pc = null;
    let peer = null;
    const makePc = async () => {
      pc = new RTCPeerConnection({
        iceServers: [{ urls: [o.turn], username: 'alice', credential: 'wonderland' }],
        iceTransportPolicy: 'relay',
      });
      window.pc = pc;
      window.remoteStreams = 0;
      pc.onicecandidate = (e) => {
        if (e.candidate) send({ type: 'new-ice-candidate', target: peer, candidate: e.candidate });
      };
      pc.ontrack = (e) => {
        window.remoteStreams = e.streams.length;
        if (e.track.kind === 'audio' && e.streams.length) {
          const a = document.createElement('audio');
          a.srcObject = e.streams[0];
          a.autoplay = true;
          document.body.appendChild(a);
        }
      };
      const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
      s.getTracks().forEach((t) => pc.addTrack(t, s));
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

async function pageStats(page) {
  return page.evaluate(async () => {
    const out = { framesDecoded: 0, frameWidth: 0, audioSamples: 0, pair: '', streams: window.remoteStreams || 0,
      state: window.pc ? window.pc.connectionState : 'none', offers: window.offers, hungUp: !!window.hungUp };
    if (!window.pc) return out;
    const st = await window.pc.getStats();
    st.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        out.framesDecoded = r.framesDecoded || 0;
        out.frameWidth = r.frameWidth || 0;
      }
      if (r.type === 'inbound-rtp' && r.kind === 'audio') out.audioSamples = r.totalSamplesReceived || 0;
      if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
        const l = st.get(r.localCandidateId);
        out.pair = l ? l.candidateType : '';
      }
    });
    return out;
  });
}

async function main() {
  const { chromium } = require('playwright-core');
  const srv = http.createServer((req, res) => res.end('<!doctype html><title>tern-peer signaling test</title>'));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
      '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--disable-quic', '--no-proxy-server', '--autoplay-policy=no-user-gesture-required'],
  });
  const probs = [];
  let proc;
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${srv.address().port}/`, { timeout: 10000 });
    const turn = `turn:127.0.0.1:${PORT}?transport=${TRANSPORT}`;
    const url = `ws://127.0.0.1:${SIGNAL}/ws`;
    const targs = ['--signal', url, '--name', 'tern', '--relay-only', '--loopback', '--interface', 'lo',
      '--ipv4', '--turn', turn, '--user', 'alice', '--pass', 'wonderland', '--duration', String(SECONDS),
      '--stats', STATS, '-v'];
    if (ROLE === 'tern-calls') targs.push('--call', 'page');
    proc = spawn('timeout', ['-k', '3', String(SECONDS + 40), TERN_PEER, ...targs],
      { stdio: ['ignore', 'ignore', fs.openSync(STATS + '.log', 'w')] });
    const exited = new Promise((r) => proc.on('exit', (c) => r(c)));
    await pageClient(page, { url, turn, me: 'page', call: ROLE === 'page-calls' ? 'tern' : null });
    let ps = null;
    for (let t = 0; t < (SECONDS + 35) * 2; t++) {
      const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]);
      if (done) break;
      ps = await pageStats(page);
    }
    const code = await exited;
    await new Promise((r) => setTimeout(r, 500));
    const end = await pageStats(page);
    const log = fs.readFileSync(STATS + '.log', 'utf8');
    if (code !== 0) probs.push(`tern-peer exited ${code}: ${log.trim().split('\n').slice(-3).join(' | ')}`);
    if (!ps || ps.framesDecoded < 30) probs.push(`the page decoded ${ps ? ps.framesDecoded : 0} frames of tern-peer's VP8 (< 30)`);
    if (ps && ps.frameWidth !== 640) probs.push(`the page's frames are ${ps.frameWidth} wide`);
    if (!ps || ps.audioSamples < 48000) probs.push(`the page received ${ps ? ps.audioSamples : 0} audio samples`);
    if (ps && ps.pair !== 'relay') probs.push(`the page's pair is ${ps.pair || 'none'}`);
    if (ps && ps.streams < 1) probs.push('ontrack gave no stream (a=msid)');
    if (!end.hungUp) probs.push('the page got no hang-up when tern-peer ended the call');
    const dtls = (log.match(/DTLS connected/g) || []).length;
    if (dtls !== 1) probs.push(`tern-peer's DTLS connected ${dtls} times (1 expected)`);
    if (ROLE === 'page-calls') {
      const answers = (log.match(/local answer:/g) || []).length;
      if (answers !== 2) probs.push(`tern-peer answered ${answers} offers (2 expected: the re-offer)`);
    }
    let last = null;
    try {
      const lines = fs.readFileSync(STATS, 'utf8').trim().split('\n');
      last = JSON.parse(lines[lines.length - 1]);
    } catch (e) {
      probs.push(`no tern-peer stats: ${e.message}`);
    }
    if (last && last.frames_decoded < 30) probs.push(`tern-peer decoded ${last.frames_decoded} of Chromium's frames`);
    if (last && last.audio_frames_decoded < 50) probs.push(`tern-peer decoded ${last.audio_frames_decoded} audio frames`);
    if (last && !probs.length) {
      console.log(`# ${NAME}: page decoded ${ps.framesDecoded} frames, ${ps.audioSamples} audio samples; ` +
        `tern-peer decoded ${last.frames_decoded} frames ${last.width}x${last.height}, ${last.audio_frames_decoded} audio frames`);
    }
  } catch (e) {
    probs.push(`${e.name}: ${e.message}`);
  } finally {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    await browser.close();
    srv.close();
  }
  result(probs);
}

main().catch((e) => { result([`${e.name}: ${e.message}`]); process.exit(1); });
