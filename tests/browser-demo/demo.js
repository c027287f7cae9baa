#!/usr/bin/env node
// The demo page (web/) in headless Chromium, as two users would use it:
// every step clicks and types on the page; the checks read facts from
// window.ternDemo (the page's read-only state), from files the page's
// download links produce (ffprobe reads them) and from the layout, never
// from pixels.
//
//   node demo.js --origin http://127.0.0.1:P/ --out DIR [--timeout 30]
//                [--ternd-pid PID]
//
// With --ternd-pid, one call loses its relay (ternd is stopped with SIGSTOP,
// then continued) and both pages must end it on their own.
// The page must be served by tern-signal (which also carries the signaling
// and hands out TURN credentials for the ternd it was configured with).
// Prints "PASS demo/..." / "FAIL demo/...: why" lines; screenshots and the
// downloaded files go to DIR.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const { CHROMIUM, arg, launch: launchChromium } = require('../lib/chromium');

const ORIGIN = arg('origin', '');
const OUT = arg('out', '');
const TIMEOUT_S = Number(arg('timeout', '30'));
const TERND_PID = Number(arg('ternd-pid', '0'));
const FFPROBE = process.env.FFPROBE || 'ffprobe';
// The recordings last this long (wall clock: the thing measured, not a wait
// for something to happen).
const REC_MS = 3000;
let failed = 0;
let passed = 0;

function pass(name) {
	passed++;
	console.log(`PASS demo/${name}`);
}
function fail(name, why) {
	failed++;
	console.log(`FAIL demo/${name}: ${String(why).replace(/\s+/g, ' ')}`);
}
function skip(name, why) {
	console.log(`SKIP demo/${name}: ${String(why).replace(/\s+/g, ' ')}`);
}
function check(name, ok, why) {
	if (ok)
		pass(name);
	else
		fail(name, why);
	return ok;
}
function note(s) {
	console.error(`# ${s}`);
}

const consoleErrors = [];

async function openPage(browser, label, viewport) {
	const ctx = await browser.newContext({ viewport: viewport || { width: 1280, height: 1000 }, acceptDownloads: true });
	const page = await ctx.newPage();
	page.on('console', (m) => {
		if (m.type() === 'error')
			consoleErrors.push(`${label} console.error: ${m.text()}`);
		else if (m.type() === 'warning')
			note(`${label} console.warning: ${m.text()}`);
	});
	page.on('pageerror', (e) => consoleErrors.push(`${label} page error: ${e.message}`));
	await page.goto(ORIGIN, { timeout: 10000 });
	await page.waitForFunction(() => window.ternDemo !== undefined, null, { timeout: 10000 });
	return page;
}

const demo = (page, expr) => page.evaluate(expr);

// Wait until fn(window.ternDemo) is truthy; returns true, or false on timeout.
async function until(page, fn, arg, secs) {
	try {
		await page.waitForFunction(fn, arg, { timeout: (secs || TIMEOUT_S) * 1000, polling: 200 });
		return true;
	} catch (e) {
		return false;
	}
}

async function shot(page, name, fullPage) {
	const file = path.join(OUT, `${name}.png`);
	await page.screenshot({ path: file, fullPage: fullPage !== false });
	note(`screenshot ${file}`);
	return file;
}

// Click a download link on the page and keep the file as OUT/name.
async function download(page, selector, name) {
	const [dl] = await Promise.all([
		page.waitForEvent('download', { timeout: 10000 }),
		page.click(selector),
	]);
	const file = path.join(OUT, name + path.extname(dl.suggestedFilename()));
	await dl.saveAs(file);
	return file;
}

function ffprobe(file) {
	const out = execFileSync(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
		{ timeout: 20000 }).toString();
	return JSON.parse(out);
}

// The duration of a recording: the container's when it has one (MediaRecorder's
// WebM has none: it is written as it goes), else the end of its last packet.
function mediaDuration(file) {
	const f = ffprobe(file);
	let d = Number(f.format && f.format.duration);
	let how = 'format';
	if (!Number.isFinite(d) || d <= 0) {
		const out = execFileSync(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_entries',
			'packet=pts_time,duration_time', file], { timeout: 20000 }).toString();
		const pk = JSON.parse(out).packets || [];
		d = 0;
		for (const p of pk) {
			const end = Number(p.pts_time) + (Number(p.duration_time) || 0);
			if (Number.isFinite(end) && end > d)
				d = end;
		}
		how = `last packet of ${pk.length}`;
	}
	return { d, how, streams: f.streams.map((s) => s.codec_type + ':' + s.codec_name), info: f };
}

async function setNameAndJoin(page, name) {
	await page.fill('#name', name);
	await page.click('#join-btn');
}

async function stage(name, fn) {
	try {
		await fn();
	} catch (e) {
		fail(name, e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e.message);
	}
}

async function main() {
	if (!ORIGIN || !OUT) {
		console.error('usage: demo.js --origin URL --out DIR');
		process.exit(2);
	}
	fs.mkdirSync(OUT, { recursive: true });
	let chromium;
	try {
		({ chromium } = require('playwright-core'));
	} catch (e) {
		fail('playwright-core', `cannot load playwright-core (npm ci --no-audit --no-fund in ${__dirname}): ${e.message}`);
		return;
	}
	if (!fs.existsSync(CHROMIUM)) {
		fail('chromium', `${CHROMIUM} not found (Debian package chromium)`);
		return;
	}
	// three fake cameras and three fake microphones (see the switch stage)
	const browser = await launch(chromium, ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream=device-count=3']);
	try {
		await run(browser);
	} finally {
		await browser.close().catch(() => {});
	}
	// The errors a real user meets first, each in a browser of its own: the
	// permission refused, and no camera at all.
	for (const [name, flags, want, advice] of [
		['error-not-allowed', ['--use-fake-ui-for-media-stream=deny', '--use-fake-device-for-media-stream'], 'NotAllowedError', /Allow the camera/],
		['error-not-found', ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream=device-count=0'], 'NotFoundError', /Plug one in/],
	]) {
		const b = await launch(chromium, flags);
		try {
			await stage(name, async () => {
				const page = await openPage(b, name);
				await page.uncheck('#want-audio');
				await page.click('#start');
				const got = await until(page, () => window.ternDemo.error !== null, null, 10);
				const e = await demo(page, () => window.ternDemo.error);
				const text = got ? await page.textContent('#media-error') : '';
				check(name, got && e.name === want && text.includes(want) && advice.test(text) && await page.isVisible('#media-error'),
					`want ${want}: error ${JSON.stringify(e)}, shown "${text.trim()}"`);
			});
		} finally {
			await b.close().catch(() => {});
		}
	}
	check('no-console-errors', consoleErrors.length === 0, consoleErrors.slice(0, 5).join(' | '));
}

function launch(chromium, media) {
	return launchChromium(chromium, { args: [...media, '--allow-loopback-in-peer-connection'] });
}

async function run(browser) {
	const a = await openPage(browser, 'alice');
	const b = await openPage(browser, 'bob');
	await shot(a, '01-ready');

	// ---- names, user list, chat --------------------------------------
	await setNameAndJoin(a, 'alice');
	await setNameAndJoin(b, 'bob');
	const listed = (d) => ['alice', 'bob'].every((n) => window.ternDemo.users.includes(n));
	const la = await until(a, listed), lb = await until(b, listed);
	if (!check('user-list', la && lb,
		`users: alice sees ${JSON.stringify(await demo(a, () => window.ternDemo.users))}, bob sees ${JSON.stringify(await demo(b, () => window.ternDemo.users))}; log ${JSON.stringify(await demo(a, () => window.ternDemo.log.slice(-3)))}`))
		return;
	check('token', await demo(a, () => window.ternDemo.connected) && await demo(b, () => window.ternDemo.connected), 'not connected');

	await a.fill('#chat-text', 'hello <b>bob</b>');
	await a.click('#chat-send');
	const chatOk = await until(b, () => window.ternDemo.chat.some((m) => m.name === 'alice' && m.text.includes('hello')));
	const chatB = await demo(b, () => window.ternDemo.chat);
	check('chat', chatOk && chatB.some((m) => m.text === 'hello bob'),
		`bob's chat: ${JSON.stringify(chatB)} (want alice: "hello bob", tags stripped by the server)`);

	// ---- a declined call ------------------------------------------------
	await stage('decline', async () => {
		await a.click('#users button:has-text("bob")');
		const rang = await until(b, () => window.ternDemo.incoming === 'alice', null, 15);
		if (!check('decline-incoming-shown', rang && await b.isVisible('#incoming'), `bob's incoming: ${await demo(b, () => window.ternDemo.incoming)}`))
			return;
		await b.click('#decline');
		const ended = await until(a, () => window.ternDemo.call.peer === null && /declined/.test(window.ternDemo.callEnded), null, 10);
		check('decline-ends-caller', ended, `alice: ${JSON.stringify(await demo(a, () => ({ call: window.ternDemo.call, ended: window.ternDemo.callEnded })))}`);
		check('decline-callee-clean', await demo(b, () => window.ternDemo.call.peer === null && window.ternDemo.incoming === null), 'bob still has a call or an offer');
	});

	// ---- the caller gives up before an answer ---------------------------
	await stage('cancel', async () => {
		await a.click('#users button:has-text("bob")');
		const rang = await until(b, () => window.ternDemo.incoming === 'alice', null, 15);
		if (!check('cancel-incoming-shown', rang, `bob's incoming: ${await demo(b, () => window.ternDemo.incoming)}`))
			return;
		await a.click('#hangup');
		const gone = await until(b, () => window.ternDemo.incoming === null, null, 10);
		check('cancel-callee-dialog-gone', gone && !(await b.isVisible('#incoming')) && await demo(b, () => window.ternDemo.call.peer === null),
			`bob: incoming ${await demo(b, () => window.ternDemo.incoming)}, dialog visible ${await b.isVisible('#incoming')}`);
		check('cancel-caller-clean', await demo(a, () => window.ternDemo.call.peer === null), 'alice still in a call');
	});

	// ---- the relay-only call -------------------------------------------
	let inCall = false;
	await stage('call', async () => {
		await a.check('#relay-only');
		await b.check('#relay-only');
		await a.selectOption('#turn-transport', 'udp');
		await b.selectOption('#turn-transport', 'udp');
		await a.click('#users button:has-text("bob")');
		const rang = await until(b, () => window.ternDemo.incoming === 'alice', null, 15);
		if (!check('call-incoming-shown', rang && await b.isVisible('#incoming'), `bob's incoming: ${await demo(b, () => window.ternDemo.incoming)}; alice's log ${JSON.stringify(await demo(a, () => window.ternDemo.log.slice(-4)))}`))
			return;
		await shot(b, '02-incoming', false);
		await b.click('#accept');
		const decoding = (min) => window.ternDemo.call.stats.framesDecoded > min;
		const da = await until(a, decoding, 0), db = await until(b, decoding, 0);
		const sa = await demo(a, () => window.ternDemo.call), sb = await demo(b, () => window.ternDemo.call);
		note(`alice ${JSON.stringify(sa)}`);
		note(`bob ${JSON.stringify(sb)}`);
		const logs = `alice log ${JSON.stringify(await demo(a, () => window.ternDemo.log.slice(-5)))} bob log ${JSON.stringify(await demo(b, () => window.ternDemo.log.slice(-5)))}`;
		check('call-caller-decodes', da, `alice framesDecoded ${sa.stats.framesDecoded}, ice ${sa.iceConnectionState} ${logs}`);
		check('call-callee-decodes', db, `bob framesDecoded ${sb.stats.framesDecoded}, ice ${sb.iceConnectionState} ${logs}`);
		// growing, not a single frame: wait for more than what we have now
		const fa = sa.stats.framesDecoded, fb = sb.stats.framesDecoded;
		check('call-frames-grow', await until(a, decoding, fa + 10, 10) && await until(b, decoding, fb + 10, 10),
			`frames did not grow by 10 from alice ${fa} / bob ${fb}`);
		const servers = await demo(a, () => window.ternDemo.iceServers);
		check('call-ice-servers-from-endpoint', servers.length === 1 && servers[0].username && servers[0].urls.length > 0 &&
			servers[0].urls.every((u) => /^turn:.*transport=udp$/.test(u)),
		`alice's iceServers ${JSON.stringify(servers)} (want the endpoint's udp url only)`);
		for (const [who, s] of [['caller', sa], ['callee', sb]]) {
			const p = s.stats.pair;
			check(`call-${who}-pair-relay`, p && p.localType === 'relay' && p.relayProtocol === 'udp' && s.stats.relayOnly,
				`${who}'s selected pair ${JSON.stringify(p)} (relay only ${s.stats.relayOnly}, want relay over udp)`);
		}
		// the page shows it as well
		check('call-pair-shown', /relay/.test(await a.textContent('#st-pair')) && /connected|completed/.test(await a.textContent('#st-ice')),
			`#st-pair "${await a.textContent('#st-pair')}" #st-ice "${await a.textContent('#st-ice')}"`);
		inCall = da && db;
		await shot(a, '03-in-call-alice');
		await shot(b, '03-in-call-bob');
	});

	// ---- switching the camera during the call: replaceTrack -----------
	if (inCall) {
		await stage('switch', async () => {
			const cams = (await demo(a, () => window.ternDemo.devices)).cameras;
			const before = await demo(a, () => window.ternDemo.localTracks.find((t) => t.kind === 'video'));
			const remoteBefore = await demo(b, () => window.ternDemo.remoteTracks.find((t) => t.kind === 'video'));
			if (cams.length < 2) {
				skip('switch-camera', `only ${cams.length} camera(s) listed`);
				return;
			}
			// Chromium's fake_device_1 delivers Y16 (depth) frames, which the
			// video element shows but WebRTC's encoder drops: switch to
			// fake_device_2 (MJPEG, converted like a real webcam's).
			const other = cams.find((c) => c.deviceId !== before.deviceId && c.label === 'fake_device_2') ||
				cams.find((c) => c.deviceId !== before.deviceId && c.label !== 'fake_device_1');
			if (!other) {
				fail('switch-camera', `no second usable camera in ${JSON.stringify(cams)}`);
				return;
			}
			await a.selectOption('#camera', other.deviceId);
			const swapped = await until(a, (id) => window.ternDemo.localTracks.some((t) => t.kind === 'video' && t.deviceId === id && t.readyState === 'live') &&
				window.ternDemo.senderTracks.some((s) => s && s.kind === 'video' && s.label === window.ternDemo.localTracks.find((t) => t.kind === 'video').label), other.deviceId, 10);
			const after = await demo(a, () => ({ tracks: window.ternDemo.localTracks, senders: window.ternDemo.senderTracks, replaced: window.ternDemo.replaced, call: window.ternDemo.call }));
			check('switch-camera-sender', swapped && after.replaced >= 1,
				`alice's camera ${before.label} -> want ${other.label}: ${JSON.stringify(after)}`);
			check('switch-no-renegotiation', after.call.signalingState === 'stable',
				`signalingState ${after.call.signalingState}`);
			const fb = (await demo(b, () => window.ternDemo.call)).stats.framesDecoded;
			const still = await until(b, (min) => window.ternDemo.call.stats.framesDecoded > min, fb + 10, 10);
			const remoteAfter = await demo(b, () => window.ternDemo.remoteTracks.find((t) => t.kind === 'video'));
			check('switch-callee-keeps-decoding', still && remoteBefore && remoteAfter && remoteAfter.id === remoteBefore.id,
				`bob's frames from ${fb}: ${still}; his remote video track ${remoteBefore && remoteBefore.id} -> ${remoteAfter && remoteAfter.id}`);
			// the microphone as well
			const mics = (await demo(a, () => window.ternDemo.devices)).mics;
			const mic = await demo(a, () => window.ternDemo.localTracks.find((t) => t.kind === 'audio'));
			const otherMic = mics.find((m) => mic && m.deviceId !== mic.deviceId);
			if (otherMic) {
				const n = after.replaced;
				await a.selectOption('#mic', otherMic.deviceId);
				check('switch-microphone', await until(a, (o) => window.ternDemo.replaced > o.n &&
					window.ternDemo.localTracks.some((t) => t.kind === 'audio' && t.deviceId === o.id), { n, id: otherMic.deviceId }, 10),
				`alice's microphone did not become ${otherMic.label}: ${JSON.stringify(await demo(a, () => window.ternDemo.localTracks))}`);
			} else {
				skip('switch-microphone', `microphones ${JSON.stringify(mics)}`);
			}
		});

		// ---- recording the call, snapshot of the call --------------------
		await stage('record-call', async () => {
			await b.selectOption('#rec-source', 'remote');
			await b.click('#rec-start');
			await b.waitForTimeout(REC_MS);
			await b.click('#rec-stop');
			const done = await until(b, () => window.ternDemo.recording && window.ternDemo.recording.source === 'remote', null, 10);
			if (!check('record-call-done', done, `bob's recording ${JSON.stringify(await demo(b, () => window.ternDemo.recording))}`))
				return;
			const rec = await demo(b, () => window.ternDemo.recording);
			const file = await download(b, '#rec-link', 'recording-call');
			const m = mediaDuration(file);
			note(`${file}: ${m.d.toFixed(2)} s (${m.how}), ${m.streams.join(' ')}; the page timed ${rec.ms} ms`);
			check('record-call-duration', Math.abs(m.d * 1000 - rec.ms) < 700 && m.streams.some((s) => s.startsWith('video:')),
				`ffprobe ${m.d} s (${m.how}) streams ${m.streams.join(' ')}; the page recorded ${rec.ms} ms`);
		});
		await stage('snapshot-call', async () => {
			await a.click('#snapshot-remote');
			const ok = await until(a, () => window.ternDemo.snapshot && window.ternDemo.snapshot.source === 'remote', null, 10);
			const s = await demo(a, () => window.ternDemo.snapshot);
			const st = (await demo(a, () => window.ternDemo.call)).stats;
			check('snapshot-call-size', ok && s.width === st.width && s.height === st.height,
				`snapshot ${JSON.stringify(s)}, inbound frame ${st.width}x${st.height}`);
		});

		// ---- hang up: both sides clean ----------------------------------
		await stage('hangup', async () => {
			await a.click('#hangup');
			const endA = await until(a, () => window.ternDemo.call.peer === null, null, 10);
			const endB = await until(b, () => window.ternDemo.call.peer === null && /alice hung up/.test(window.ternDemo.callEnded), null, 10);
			const sa = await demo(a, () => ({ call: window.ternDemo.call, local: window.ternDemo.localTracks, remote: window.ternDemo.remoteTracks }));
			const sb = await demo(b, () => ({ call: window.ternDemo.call, ended: window.ternDemo.callEnded, local: window.ternDemo.localTracks, remote: window.ternDemo.remoteTracks }));
			check('hangup-caller-clean', endA && sa.local.length === 0 && sa.remote.length === 0 && sa.call.iceConnectionState === 'none',
				`alice after hang-up: ${JSON.stringify(sa)}`);
			check('hangup-callee-clean', endB && sb.local.length === 0 && sb.remote.length === 0 && sb.call.iceConnectionState === 'none',
				`bob after alice's hang-up: ${JSON.stringify(sb)}`);
			check('hangup-buttons-reset', await a.isDisabled('#hangup') && await b.isDisabled('#hangup'), 'a Hang up button still enabled');
		});

		// ---- the relay goes away: ICE disconnected/failed ends the call ---
		if (TERND_PID) {
			// this call goes through TURN over TCP
			await stage('ice-lost', async () => {
				await a.selectOption('#turn-transport', 'tcp');
				await b.selectOption('#turn-transport', 'tcp');
				await a.click('#users button:has-text("bob")');
				if (!await until(b, () => window.ternDemo.incoming === 'alice', null, 15)) {
					fail('ice-lost-call', 'bob was not called');
					return;
				}
				await b.click('#accept');
				const decoding = () => window.ternDemo.call.stats.framesDecoded > 0;
				if (!check('ice-lost-call', await until(a, decoding) && await until(b, decoding), 'the second call decoded nothing'))
					return;
				const pa = (await demo(a, () => window.ternDemo.call)).stats.pair, pb = (await demo(b, () => window.ternDemo.call)).stats.pair;
				check('call-tcp-pair-relay', pa && pb && pa.localType === 'relay' && pa.relayProtocol === 'tcp' &&
					pb.localType === 'relay' && pb.relayProtocol === 'tcp',
				`with "TURN over TCP only": alice ${JSON.stringify(pa)} bob ${JSON.stringify(pb)}`);
				const t0 = Date.now();
				process.kill(TERND_PID, 'SIGSTOP');
				let endA, endB;
				try {
					endA = await until(a, () => window.ternDemo.call.peer === null, null, 45);
					endB = await until(b, () => window.ternDemo.call.peer === null, null, 10);
				} finally {
					process.kill(TERND_PID, 'SIGCONT');
				}
				const ra = await demo(a, () => ({ ended: window.ternDemo.callEnded, local: window.ternDemo.localTracks.length }));
				const rb = await demo(b, () => ({ ended: window.ternDemo.callEnded, local: window.ternDemo.localTracks.length }));
				note(`ternd stopped: alice ended after ${Date.now() - t0} ms: "${ra.ended}", bob: "${rb.ended}"`);
				check('ice-lost-both-end', endA && endB && ra.local === 0 && rb.local === 0,
					`with ternd stopped: alice ${JSON.stringify(ra)} bob ${JSON.stringify(rb)}`);
				check('ice-lost-reason', /ICE (disconnected|failed)/.test(ra.ended + ' ' + rb.ended),
					`neither page says ICE ended the call: alice "${ra.ended}", bob "${rb.ended}"`);
			});
		} else {
			skip('ice-lost', 'no --ternd-pid');
		}
	}

	// ---- camera alone: constraints, snapshot, recording, stop -------------
	await stage('media', async () => {
		await a.selectOption('#preset', 'vga');
		await a.selectOption('#how', 'exact');
		await a.uncheck('#echo');
		await a.click('#start');
		const on = await until(a, () => window.ternDemo.localTracks.some((t) => t.kind === 'video' && t.readyState === 'live'), null, 10);
		const v = await demo(a, () => window.ternDemo.localTracks.find((t) => t.kind === 'video'));
		const au = await demo(a, () => window.ternDemo.localTracks.find((t) => t.kind === 'audio'));
		check('media-echo-cancellation-off', au && au.echoCancellation === false, `audio track ${JSON.stringify(au)}`);
		if (!check('media-exact-vga', on && v.width === 640 && v.height === 480, `video track ${JSON.stringify(v)}`))
			return;
		await a.waitForFunction(() => document.getElementById('local').videoWidth > 0, null, { timeout: 10000 });
		await a.click('#snapshot');
		await until(a, () => window.ternDemo.snapshot && window.ternDemo.snapshot.source === 'local', null, 10);
		const s = await demo(a, () => window.ternDemo.snapshot);
		const file = await download(a, '#snap-link', 'snapshot');
		const p = ffprobe(file).streams[0] || {};
		note(`${file}: ${p.codec_name} ${p.width}x${p.height}, page says ${JSON.stringify(s)}`);
		check('snapshot-file-size', p.width === 640 && p.height === 480 && s.width === 640 && s.height === 480,
			`ffprobe ${p.codec_name} ${p.width}x${p.height}; the page ${JSON.stringify(s)}`);
		check('snapshot-webp', s.type === 'image/webp' && p.codec_name === 'webp', `type ${s.type}, ffprobe codec ${p.codec_name}`);
		await shot(a, '04-snapshot');

		await a.selectOption('#rec-source', 'local');
		await a.click('#rec-start');
		await until(a, () => window.ternDemo.recordingActive, null, 5);
		await a.waitForTimeout(REC_MS);
		check('record-timer', /^0:0[2-9]$/.test((await a.textContent('#rec-timer')).trim()), `timer shows "${await a.textContent('#rec-timer')}" after ${REC_MS} ms`);
		await shot(a, '05-recording');
		await a.click('#rec-stop');
		await until(a, () => !window.ternDemo.recordingActive && window.ternDemo.recording && window.ternDemo.recording.source === 'local', null, 10);
		const rec = await demo(a, () => window.ternDemo.recording);
		const rf = await download(a, '#rec-link', 'recording-local');
		const m = mediaDuration(rf);
		note(`${rf}: ${m.d.toFixed(2)} s (${m.how}), ${m.streams.join(' ')}; the page timed ${rec.ms} ms`);
		check('record-local-duration', Math.abs(m.d * 1000 - rec.ms) < 700 && m.streams.includes('video:vp8') && m.streams.includes('audio:opus'),
			`ffprobe ${m.d} s (${m.how}) streams ${m.streams.join(' ')}; the page recorded ${rec.ms} ms`);
		check('record-playable', await a.evaluate(() => { const v = document.getElementById('rec-video'); return !v.hidden && v.src.startsWith('blob:'); }),
			'the recording is not in the page\'s player');

		await a.selectOption('#rec-source', 'audio');
		await a.click('#rec-start');
		await a.waitForTimeout(REC_MS);
		await a.click('#rec-stop');
		await until(a, () => window.ternDemo.recording && window.ternDemo.recording.source === 'audio', null, 10);
		const ra = await demo(a, () => window.ternDemo.recording);
		const af = await download(a, '#rec-link', 'recording-audio');
		const ma = mediaDuration(af);
		note(`${af}: ${ma.d.toFixed(2)} s (${ma.how}), ${ma.streams.join(' ')}`);
		check('record-audio-only', ma.streams.length === 1 && ma.streams[0] === 'audio:opus' && Math.abs(ma.d * 1000 - ra.ms) < 700,
			`ffprobe ${ma.d} s streams ${ma.streams.join(' ')}; the page recorded ${ra.ms} ms`);
		check('record-audio-player', await a.evaluate(() => !document.getElementById('rec-audio').hidden && document.getElementById('rec-video').hidden),
			'audio recording not in the <audio> player');

		// Stop: every track ended
		const ids = await demo(a, () => window.ternDemo.localTracks.length);
		await a.click('#stop');
		const stopped = await demo(a, () => window.ternDemo.stoppedTracks);
		check('stop-every-track', ids > 0 && stopped.length === ids && stopped.every((t) => t.readyState === 'ended') &&
			(await demo(a, () => window.ternDemo.localTracks.length)) === 0,
		`before ${ids} tracks; stopped ${JSON.stringify(stopped)}`);
	});

	// ---- errors by name ------------------------------------------------
	await stage('error', async () => {
		await a.selectOption('#preset', 'custom');
		await a.selectOption('#how', 'exact');
		await a.fill('#width', '99999');
		await a.fill('#height', '480');
		await a.click('#start');
		const got = await until(a, () => window.ternDemo.error !== null, null, 10);
		const e = await demo(a, () => window.ternDemo.error);
		const text = got ? await a.textContent('#media-error') : '';
		check('error-overconstrained', got && e.name === 'OverconstrainedError' && e.constraint === 'width' &&
			/OverconstrainedError/.test(text) && /ideal/.test(text) && await a.isVisible('#media-error'),
		`error ${JSON.stringify(e)}; shown "${text.trim()}"`);
		await shot(a, '06-error');
		await a.selectOption('#how', 'ideal');
		await a.fill('#width', '640');
		await a.selectOption('#facing', 'environment!');
		await a.click('#start');
		const got2 = await until(a, () => window.ternDemo.error !== null, null, 10);
		const e2 = await demo(a, () => window.ternDemo.error);
		check('error-facing-exact', got2 && e2.name === 'OverconstrainedError' && e2.constraint === 'facingMode',
			`fake cameras have no facing mode, so exact environment must fail: ${JSON.stringify(e2)}`);
		await a.selectOption('#facing', '');
		await a.uncheck('#want-video');
		await a.uncheck('#want-audio');
		await a.click('#start');
		const got3 = await until(a, () => window.ternDemo.error !== null, null, 10);
		const e3 = await demo(a, () => window.ternDemo.error);
		check('error-nothing-asked', got3 && e3.name === 'TypeError' && /tick audio or video/.test(await a.textContent('#media-error')),
			`asking for nothing: ${JSON.stringify(e3)}`);
		await a.check('#want-video');
		await a.check('#want-audio');
	});

	// ---- a narrow window ------------------------------------------------
	await stage('narrow', async () => {
		const n = await openPage(browser, 'narrow', { width: 360, height: 740 });
		await n.click('#start');
		await until(n, () => window.ternDemo.localTracks.length > 0, null, 10);
		// a taken name: the server appends a number, the page takes it
		await setNameAndJoin(n, 'alice');
		const renamed = await until(n, () => /^alice.+/.test(window.ternDemo.name) && window.ternDemo.users.includes(window.ternDemo.name), null, 10);
		const nm = await demo(n, () => window.ternDemo.name);
		check('name-taken-renamed', renamed && (await n.inputValue('#name')) === nm,
			`joining as alice twice: name ${nm}, field "${await n.inputValue('#name')}", users ${JSON.stringify(await demo(n, () => window.ternDemo.users))}`);
		const w = await n.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
		check('narrow-no-horizontal-scroll', w.scroll <= w.client, `scrollWidth ${w.scroll} > clientWidth ${w.client} at 360 px`);
		await shot(n, '07-narrow-360');
		// Leave: the others' lists lose the name
		await n.click('#leave-btn');
		check('leave-updates-list', await until(a, (x) => !window.ternDemo.users.includes(x), nm, 10),
			`alice still lists ${nm}: ${JSON.stringify(await demo(a, () => window.ternDemo.users))}`);
		await n.close();
	});
}

const hard = setTimeout(() => {
	fail('timeout', `demo.js still running after ${TIMEOUT_S * 6 + 60} s`);
	process.exit(1);
}, (TIMEOUT_S * 6 + 60) * 1000);
main().catch((e) => fail('run', e.stack || e.message)).finally(() => {
	clearTimeout(hard);
	if (passed === 0 && failed === 0)
		fail('run', 'no check ran');
	process.exit(failed ? 1 : 0);
});
