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
// Needs playwright-core (tests/interop/browser/node_modules, NODE_PATH).
'use strict';
const http = require('http');
const fs = require('fs');
const { spawn } = require('child_process');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
}
const TERN_PEER = arg('tern-peer');
const PORT = arg('port');
const USER = arg('user', 'alice');
const PASS = arg('pass', 'wonderland');
const TRANSPORT = arg('transport', 'udp');
const ROLE = arg('role', 'page-offers');
const SECONDS = Number(arg('seconds', '6'));
const STATS = arg('stats');
const NAME = arg('name', `chromium-${ROLE}-${TRANSPORT}`);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function result(probs) {
  if (probs.length) console.log(`FAIL peer/${NAME}: ${probs.join('; ')}`);
  else console.log(`PASS peer/${NAME}`);
}

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

// In the page: a peer connection with the fake devices, relay only.
async function pageSetup(page, turnUrl) {
  await page.evaluate(async ({ turnUrl, user, pass }) => {
    const pc = new RTCPeerConnection({
      iceServers: [{ urls: [turnUrl], username: user, credential: pass }],
      iceTransportPolicy: 'relay',
    });
    window.pc = pc;
    window.gathered = new Promise((r) => {
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); };
    });
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    s.getTracks().forEach((t) => pc.addTrack(t, s));
    window.remoteStreams = 0;
    pc.ontrack = (e) => {
      window.remoteStreams = e.streams.length;
      // audio is decoded as it is played out: give it an element
      if (e.track.kind === 'audio' && e.streams.length) {
        const a = document.createElement('audio');
        a.srcObject = e.streams[0];
        a.autoplay = true;
        document.body.appendChild(a);
      }
    };
  }, { turnUrl, user: USER, pass: PASS });
}

async function pageStats(page) {
  return page.evaluate(async () => {
    const out = { framesDecoded: 0, frameWidth: 0, audioSamples: 0, pair: '', streams: window.remoteStreams,
      state: window.pc.connectionState };
    const st = await window.pc.getStats();
    st.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        out.framesDecoded = r.framesDecoded || 0;
        out.frameWidth = r.frameWidth || 0;
      }
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.audioSamples = r.totalSamplesReceived || 0;
        out.audioPackets = r.packetsReceived || 0;
      }
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
  const srv = http.createServer((req, res) => res.end('<!doctype html><title>tern-peer test</title>'));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
      '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--disable-quic', '--no-proxy-server', '--autoplay-policy=no-user-gesture-required'],
  });
  const probs = [];
  let proc;
  let reoffered = false;
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${srv.address().port}/`, { timeout: 10000 });
    const turnUrl = `turn:127.0.0.1:${PORT}?transport=${TRANSPORT}`;
    await pageSetup(page, turnUrl);
    proc = spawn('timeout', ['-k', '3', String(SECONDS + 40), TERN_PEER,
      ROLE === 'tern-offers' ? '--offer' : '--answer', '--sdp-in', '-', '--sdp-out', '-',
      '--relay-only', '--loopback', '--interface', 'lo', '--ipv4', '--turn', turnUrl,
      '--user', USER, '--pass', PASS, '--duration', String(SECONDS), '--timeout', '25',
      '--stats', STATS, '-v'], { stdio: ['pipe', 'pipe', fs.openSync(STATS + '.log', 'w')] });
    const exited = new Promise((r) => proc.on('exit', (c) => r(c)));
    if (ROLE === 'tern-offers') {
      const offer = await readDescription(proc);
      const answer = await page.evaluate(async (sdp) => {
        await window.pc.setRemoteDescription({ type: 'offer', sdp });
        await window.pc.setLocalDescription(await window.pc.createAnswer());
        await window.gathered;
        return window.pc.localDescription.sdp;
      }, offer);
      proc.stdin.write(answer.trimEnd() + '\r\n\r\n');
    } else {
      const offer = await page.evaluate(async () => {
        await window.pc.setLocalDescription(await window.pc.createOffer());
        await window.gathered;
        return window.pc.localDescription.sdp;
      });
      proc.stdin.write(offer.trimEnd() + '\r\n\r\n');
      const answer = await readDescription(proc);
      await page.evaluate(async (sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer);
      // the chat sample's page renegotiates right after the first answer:
      // a second offer in the same call, answered without restarting ICE
      // or DTLS
      const re = await page.evaluate(async () => {
        await new Promise((r) => setTimeout(r, 1500));
        await window.pc.setLocalDescription(await window.pc.createOffer());
        return window.pc.localDescription.sdp;
      });
      const reanswer = readDescription(proc);
      proc.stdin.write(re.trimEnd() + '\r\n\r\n');
      await page.evaluate(async (sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), await reanswer);
      reoffered = true;
    }
    // media flows until tern-peer's --duration ends the call: read the
    // page's stats just before that
    let ps = null;
    for (let t = 0; t < (SECONDS + 30) * 2; t++) {
      const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]);
      if (done) break;
      ps = await pageStats(page);
    }
    const code = await exited;
    if (code !== 0) {
      const log = fs.readFileSync(STATS + '.log', 'utf8').trim().split('\n').slice(-3).join(' | ');
      probs.push(`tern-peer exited ${code}: ${log}`);
    }
    if (!ps || ps.framesDecoded < 30) probs.push(`the page decoded ${ps ? ps.framesDecoded : 0} frames of tern-peer's VP8 (< 30)`);
    if (ps && ps.frameWidth !== 640) probs.push(`the page's frames are ${ps.frameWidth} wide, not 640`);
    if (!ps || ps.audioSamples < 48000) probs.push(`the page received ${ps ? ps.audioSamples : 0} audio samples (< 1 s of tern-peer's Opus; ${ps ? ps.audioPackets : 0} packets)`);
    if (ps && ps.streams < 1) probs.push('ontrack gave no stream (a=msid)');
    if (ps && ps.pair !== 'relay') probs.push(`the page's pair is ${ps.pair || 'none'}, not relay`);
    if (reoffered) {
      const log = fs.readFileSync(STATS + '.log', 'utf8');
      const n = (log.match(/DTLS connected/g) || []).length;
      if (n !== 1) probs.push(`tern-peer's DTLS connected ${n} times across the re-offer (1 expected)`);
      if ((log.match(/local answer:/g) || []).length !== 2) probs.push('tern-peer did not answer the re-offer');
      if (ps && ps.state !== 'connected') probs.push(`the page's connection is ${ps.state} after the re-offer`);
    }
    let last = null;
    try {
      const lines = fs.readFileSync(STATS, 'utf8').trim().split('\n');
      last = JSON.parse(lines[lines.length - 1]);
    } catch (e) {
      probs.push(`no tern-peer stats: ${e.message}`);
    }
    if (last) {
      if (last.frames_decoded < 30) probs.push(`tern-peer decoded ${last.frames_decoded} of Chromium's frames (< 30)`);
      if (!last.width || !last.height) probs.push("tern-peer decoded no frame size");
      if (last.audio_frames_decoded < 50) probs.push(`tern-peer decoded ${last.audio_frames_decoded} of Chromium's audio frames (< 50)`);
      if (!String(last.pair).startsWith('relay/')) probs.push(`tern-peer's pair is ${last.pair}`);
      if (!probs.length) {
        console.log(`# ${NAME}: page decoded ${ps.framesDecoded} frames (${ps.frameWidth} wide), ${ps.audioSamples} audio samples; ` +
          `tern-peer decoded ${last.frames_decoded} frames ${last.width}x${last.height}, ${last.audio_frames_decoded} audio frames`);
      }
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
