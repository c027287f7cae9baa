// tests/peer/chromium-lib.js — what the Chromium drivers of tests/peer
// share (chromium-call.js, chromium-signal.js): the command line, headless
// Chromium with fake camera and microphone on a blank page served from
// loopback, the page's relay-only peer connection, tern-peer under
// timeout(1), the page's getStats and tern-peer's --stats read back, the
// checks on both, and the PASS/FAIL line.
// Needs playwright-core (tests/interop/browser/node_modules, NODE_PATH).
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const { arg, launch } = require('../lib/chromium');

// The one line tests/peer/run takes as the check's verdict.
function report(name, probs) {
  console.log(probs.length ? `FAIL peer/${name}: ${probs.join('; ')}` : `PASS peer/${name}`);
}

const MEDIA_ARGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection'];

// Runs in the page (installed by withPage): window.makePc builds the
// relay-only peer connection with the fake devices' tracks added, as
// window.pc; the remote audio gets an element, as audio is decoded only
// as it is played out.
function pageHelpers() {
  window.makePc = async (o) => {
    const pc = new RTCPeerConnection({
      iceServers: [{ urls: [o.turn], username: o.user, credential: o.pass }],
      iceTransportPolicy: 'relay',
    });
    window.pc = pc;
    window.remoteStreams = 0;
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
    return pc;
  };
}

// Chromium on a blank page titled title; body(page, probs, ctx) runs the
// check, pushing what is wrong onto probs; ctx.proc (tern-peer) is killed
// if still running. Prints the verdict for name.
async function withPage(name, title, body) {
  const { chromium } = require('playwright-core');
  const srv = http.createServer((req, res) => res.end(`<!doctype html><title>${title}</title>`));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const browser = await launch(chromium, { args: MEDIA_ARGS });
  const probs = [];
  const ctx = { proc: null };
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${srv.address().port}/`, { timeout: 10000 });
    await page.evaluate(pageHelpers);
    await page.addScriptTag({ path: path.join(__dirname, 'page-stats.js') });
    await body(page, probs, ctx);
  } catch (e) {
    probs.push(`${e.name}: ${e.message}`);
  } finally {
    if (ctx.proc && ctx.proc.exitCode === null) ctx.proc.kill('SIGKILL');
    await browser.close();
    srv.close();
  }
  report(name, probs);
}

// tern-peer with args, killed by timeout(1) 40 s after its call should
// have ended; its stderr goes to STATS.log. exited resolves to its status.
function spawnPeer(ternPeer, args, seconds, stats, stdio) {
  const proc = spawn('timeout', ['-k', '3', String(seconds + 40), ternPeer, ...args],
    { stdio: [...stdio, fs.openSync(stats + '.log', 'w')] });
  proc.exited = new Promise((r) => proc.on('exit', (c) => r(c)));
  return proc;
}

// What the page's getStats shows (and what the page noted in window).
async function pageStats(page) {
  return page.evaluate(async () => Object.assign(await window.pageStats(window.pc),
    { offers: window.offers, hungUp: !!window.hungUp }));
}

// Media flows until tern-peer's --duration ends the call: the page's
// stats read every 500 ms, for at most limit seconds; the last reading
// before tern-peer exited (null if none).
async function statsUntilExit(page, proc, limit) {
  let ps = null;
  for (let t = 0; t < limit * 2; t++) {
    const done = await Promise.race([proc.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 500))]);
    if (done) break;
    ps = await pageStats(page);
  }
  return ps;
}

// tern-peer's stderr (with -v: its log).
function peerLog(stats) {
  return fs.readFileSync(stats + '.log', 'utf8');
}

function checkExit(code, stats, probs) {
  if (code !== 0) {
    const tail = peerLog(stats).trim().split('\n').slice(-3).join(' | ');
    probs.push(`tern-peer exited ${code}: ${tail}`);
  }
}

// What the page received of tern-peer's media, relay-only.
function checkPage(ps, probs) {
  if (!ps || ps.framesDecoded < 30) probs.push(`the page decoded ${ps ? ps.framesDecoded : 0} frames of tern-peer's VP8 (< 30)`);
  if (ps && ps.frameWidth !== 640) probs.push(`the page's frames are ${ps.frameWidth} wide, not 640`);
  if (!ps || ps.audioSamples < 48000) probs.push(`the page received ${ps ? ps.audioSamples : 0} audio samples (< 1 s of tern-peer's Opus; ${ps ? ps.audioPackets : 0} packets)`);
  if (ps && ps.streams < 1) probs.push('ontrack gave no stream (a=msid)');
  if (ps && ps.pair !== 'relay') probs.push(`the page's pair is ${ps.pair || 'none'}, not relay`);
}

// tern-peer's last --stats line, or null (and a problem).
function lastStats(stats, probs) {
  try {
    const lines = fs.readFileSync(stats, 'utf8').trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
  } catch (e) {
    probs.push(`no tern-peer stats: ${e.message}`);
    return null;
  }
}

// What tern-peer decoded of Chromium's media; with full, also the frame
// size and its relayed pair.
function checkPeer(last, probs, full) {
  if (!last) return;
  if (last.frames_decoded < 30) probs.push(`tern-peer decoded ${last.frames_decoded} of Chromium's frames (< 30)`);
  if (full && (!last.width || !last.height)) probs.push('tern-peer decoded no frame size');
  if (last.audio_frames_decoded < 50) probs.push(`tern-peer decoded ${last.audio_frames_decoded} of Chromium's audio frames (< 50)`);
  if (full && !String(last.pair).startsWith('relay/')) probs.push(`tern-peer's pair is ${last.pair}`);
}

// The "# " line tests/peer/run passes on when the check passed.
function summary(name, ps, last) {
  console.log(`# ${name}: page decoded ${ps.framesDecoded} frames (${ps.frameWidth} wide), ${ps.audioSamples} audio samples; ` +
    `tern-peer decoded ${last.frames_decoded} frames ${last.width}x${last.height}, ${last.audio_frames_decoded} audio frames`);
}

// main() of a driver: an exception becomes its FAIL line.
function run(name, main) {
  main().catch((e) => { report(name, [`${e.name}: ${e.message}`]); process.exit(1); });
}

module.exports = {
  arg, report, withPage, spawnPeer, pageStats, statsUntilExit, peerLog, checkExit,
  checkPage, lastStats, checkPeer, summary, run,
};
