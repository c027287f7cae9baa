// app.js — the demo page: wires the form, the buttons and the two modules
// (media.js: camera, snapshot, recording; call.js: signaling and the call)
// and exposes window.ternDemo, a read-only view of the page's state for
// tests (they click and type like a user and read facts here).
import * as media from './media.js';
import { Phone } from './call.js';

const $ = (id) => document.getElementById(id);

const st = {
	local: null, // the MediaStream shown in #local
	error: null, // the last getUserMedia error, explained
	snapshot: null, // { width, height, type, size, url, source }
	recording: null, // { url, size, type, ms, source }
	recorder: new media.Recording(),
	recSource: '',
	recT0: 0,
	recTimer: null,
	chat: [],
	log: [],
	incoming: null,
	callEnded: '',
	devices: { cameras: [], mics: [] },
	replaced: 0, // tracks swapped into a live call with replaceTrack
	stopped: [], // the tracks the last Stop stopped (tests read their state)
};

function log(text) {
	const t = new Date().toLocaleTimeString();
	st.log.push(`${t} ${text}`);
	const li = document.createElement('li');
	li.textContent = `${t} ${text}`;
	const ol = $('log');
	ol.prepend(li);
	while (ol.children.length > 50)
		ol.lastChild.remove();
}

function setStatus(text) {
	$('status').textContent = text;
}

function show(el, on) {
	el.hidden = !on;
}

// ---- camera and microphone ---------------------------------------------

function formOptions() {
	const num = (id) => {
		const v = $(id).value.trim();
		return v === '' ? NaN : Number(v);
	};
	const facing = $('facing').value;
	return {
		video: $('want-video').checked,
		audio: $('want-audio').checked,
		how: $('how').value,
		width: num('width'),
		height: num('height'),
		fpsHow: $('fps-how').value,
		fps: num('fps'),
		facing: facing.replace('!', ''),
		facingExact: facing.endsWith('!'),
		camera: $('camera').value,
		mic: $('mic').value,
		echo: $('echo').checked,
		noise: $('noise').checked,
		gain: $('gain').checked,
		channels: num('channels'),
		rate: num('rate'),
	};
}

function showMediaError(e) {
	const x = media.explain(e);
	st.error = x;
	$('media-error-name').textContent = x.name + (x.constraint ? ` (constraint: ${x.constraint})` : '');
	$('media-error-message').textContent = x.message;
	$('media-error-advice').textContent = x.advice;
	show($('media-error'), true);
	log(`getUserMedia: ${x.name}${x.constraint ? ' ' + x.constraint : ''}`);
}

function clearMediaError() {
	st.error = null;
	show($('media-error'), false);
}

function live(s) {
	return s !== null && s.getTracks().some((t) => t.readyState === 'live');
}

function describeLocal() {
	const s = st.local;
	if (!live(s)) {
		$('local-info').textContent = 'camera off';
		return;
	}
	const parts = [];
	for (const t of s.getTracks()) {
		if (t.readyState !== 'live')
			continue;
		const set = t.getSettings();
		if (t.kind === 'video')
			parts.push(`${t.label}: ${set.width}×${set.height} @ ${Math.round(set.frameRate || 0)} fps`);
		else
			parts.push(`${t.label}${set.sampleRate ? ` ${set.sampleRate} Hz` : ''}${set.channelCount ? ` ×${set.channelCount}` : ''}${set.echoCancellation === false ? ', no echo cancellation' : ''}`);
	}
	$('local-info').textContent = parts.join(' · ');
}

async function refreshDevices() {
	try {
		st.devices = await media.listDevices();
	} catch (e) {
		log(`enumerateDevices: ${e.name}`);
		return;
	}
	fillSelect($('camera'), st.devices.cameras, st.local && st.local.getVideoTracks()[0]);
	fillSelect($('mic'), st.devices.mics, st.local && st.local.getAudioTracks()[0]);
}

// The pickers list the devices; the one in use (if any) is selected.
function fillSelect(sel, list, track) {
	const want = (track && track.readyState === 'live' && track.getSettings().deviceId) || sel.value;
	sel.replaceChildren(new Option('default', ''));
	for (const d of list)
		sel.add(new Option(d.label, d.deviceId));
	if (list.some((d) => d.deviceId === want))
		sel.value = want;
}

function setLocal(stream) {
	st.local = stream;
	$('local').srcObject = stream;
	$('stop').disabled = !stream;
	describeLocal();
}

async function startMedia() {
	clearMediaError();
	const c = media.buildConstraints(formOptions());
	let stream;
	try {
		stream = await media.getMedia(c);
	} catch (e) {
		showMediaError(e);
		throw e;
	}
	const old = st.local;
	setLocal(stream);
	// In a call: the new tracks go in without renegotiating.
	for (const t of stream.getTracks()) {
		if (await phone.replaceTrack(t))
			st.replaced++;
	}
	media.stopStream(old);
	log(`camera on: ${JSON.stringify(c)}`);
	await refreshDevices();
	return stream;
}

function stopMedia() {
	if (st.recorder.active && st.recSource !== 'remote')
		stopRecording();
	st.stopped = st.local ? st.local.getTracks() : [];
	media.stopStream(st.local);
	setLocal(null);
	log('every local track stopped');
}

// A new camera or microphone picked: while the camera runs, swap that one
// track (in the preview and, in a call, in the sender) and keep the other.
async function switchDevice(kind) {
	if (!live(st.local))
		return;
	const o = formOptions();
	const c = media.buildConstraints({ ...o, video: kind === 'video', audio: kind === 'audio' });
	clearMediaError();
	const old = kind === 'video' ? st.local.getVideoTracks()[0] : st.local.getAudioTracks()[0];
	let s;
	try {
		s = await media.getMedia(c);
	} catch (e) {
		if (e.name !== 'NotReadableError' || !old) {
			showMediaError(e);
			return;
		}
		// Some cameras open only once: release the old one and retry.
		old.stop();
		try {
			s = await media.getMedia(c);
		} catch (e2) {
			showMediaError(e2);
			return;
		}
	}
	const track = kind === 'video' ? s.getVideoTracks()[0] : s.getAudioTracks()[0];
	// The sender first, then the old track stops: a sender whose track
	// ended before the replacement may stay silent (Chromium).
	const inCall = await phone.replaceTrack(track);
	if (old) {
		st.local.removeTrack(old);
		old.stop();
	}
	st.local.addTrack(track);
	// the preview re-reads a stream whose tracks changed
	$('local').srcObject = st.local;
	if (inCall) {
		st.replaced++;
		log(`${kind}: ${track.label} replaces the call's track (replaceTrack, no renegotiation)`);
	} else {
		log(`${kind}: ${track.label}`);
	}
	describeLocal();
}

// ---- snapshot ------------------------------------------------------------

async function takeSnapshot(source) {
	show($('snap-error'), false);
	const video = source === 'remote' ? $('remote') : $('local');
	let r;
	try {
		r = await media.snapshot(video, $('canvas'));
	} catch (e) {
		$('snap-error').textContent = e.message;
		show($('snap-error'), true);
		return;
	}
	if (st.snapshot)
		URL.revokeObjectURL(st.snapshot.url);
	const url = URL.createObjectURL(r.blob);
	const ext = r.type === 'image/webp' ? 'webp' : 'png';
	st.snapshot = { width: r.width, height: r.height, type: r.type, size: r.blob.size, url, source };
	$('snap-img').src = url;
	$('snap-link').href = url;
	$('snap-link').download = `tern-snapshot-${Date.now()}.${ext}`;
	$('snap-info').textContent = `${r.width}×${r.height} ${ext}, ${Math.round(r.blob.size / 1024)} KiB`;
	show($('snap-fig'), true);
	log(`snapshot ${r.width}×${r.height} ${r.type}`);
}

// ---- recording -----------------------------------------------------------

function recordStream(source) {
	if (source === 'remote') {
		const s = $('remote').srcObject;
		if (!s || !s.getTracks().some((t) => t.readyState === 'live'))
			throw new Error('no call to record: call someone first');
		return s;
	}
	if (!live(st.local))
		throw new Error('the camera is off: press Start first');
	if (source === 'audio') {
		const a = st.local.getAudioTracks().filter((t) => t.readyState === 'live');
		if (!a.length)
			throw new Error('no microphone in the stream: tick audio and press Start');
		return new MediaStream(a);
	}
	return st.local;
}

function tick() {
	const s = Math.floor((performance.now() - st.recT0) / 1000);
	$('rec-timer').textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function startRecording() {
	show($('rec-error'), false);
	const source = $('rec-source').value;
	try {
		st.recorder.start(recordStream(source), source === 'audio');
	} catch (e) {
		$('rec-error').textContent = e.message;
		show($('rec-error'), true);
		return;
	}
	st.recSource = source;
	st.recT0 = performance.now();
	tick();
	st.recTimer = setInterval(tick, 250);
	$('rec-timer').classList.add('on');
	$('rec-start').disabled = true;
	$('rec-stop').disabled = false;
	$('rec-source').disabled = true;
	log(`recording ${source}`);
}

async function stopRecording() {
	clearInterval(st.recTimer);
	$('rec-timer').classList.remove('on');
	$('rec-start').disabled = false;
	$('rec-stop').disabled = true;
	$('rec-source').disabled = false;
	let r;
	try {
		r = await st.recorder.stop();
	} catch (e) {
		$('rec-error').textContent = e.message;
		show($('rec-error'), true);
		return;
	}
	if (!r.blob.size) {
		$('rec-error').textContent = 'nothing was recorded: the stream carried no media';
		show($('rec-error'), true);
		return;
	}
	if (st.recording)
		URL.revokeObjectURL(st.recording.url);
	const url = URL.createObjectURL(r.blob);
	const audioOnly = st.recSource === 'audio';
	const ext = r.type.includes('mp4') ? (audioOnly ? 'm4a' : 'mp4') : 'webm';
	st.recording = { url, size: r.blob.size, type: r.type, ms: r.ms, source: st.recSource };
	const player = audioOnly ? $('rec-audio') : $('rec-video');
	show($('rec-audio'), audioOnly);
	show($('rec-video'), !audioOnly);
	player.src = url;
	$('rec-link').href = url;
	$('rec-link').download = `tern-recording-${Date.now()}.${ext}`;
	$('rec-info').textContent = `${(r.ms / 1000).toFixed(1)} s ${r.type}, ${Math.round(r.blob.size / 1024)} KiB`;
	show($('rec-fig'), true);
	log(`recorded ${(r.ms / 1000).toFixed(1)} s of ${st.recSource} (${r.type}, ${r.blob.size} bytes)`);
}

// ---- signaling and the call ----------------------------------------------

function renderUsers(list) {
	const ul = $('users');
	ul.replaceChildren();
	for (const u of list) {
		const li = document.createElement('li');
		const b = document.createElement('button');
		b.type = 'button';
		b.textContent = u;
		b.className = 'user';
		if (u === phone.name) {
			b.disabled = true;
			b.textContent = `${u} (you)`;
		} else {
			b.addEventListener('click', () => call(u));
		}
		li.append(b);
		ul.append(li);
	}
}

function renderChat(m) {
	st.chat.push({ name: m.name, text: m.text, date: m.date });
	const li = document.createElement('li');
	const time = document.createElement('time');
	const d = new Date(Number(m.date) || Date.now());
	time.textContent = d.toLocaleTimeString();
	const who = document.createElement('b');
	who.textContent = m.name || '?';
	li.append(time, ' ', who, ': ', m.text);
	$('chat').append(li);
	$('chat').scrollTop = $('chat').scrollHeight;
}

function renderCall(s) {
	const inCall = s.peer !== null;
	$('hangup').disabled = !inCall;
	$('snapshot-remote').disabled = !inCall;
	$('st-ice').textContent = s.iceConnectionState;
	$('st-signaling').textContent = s.signalingState;
	const p = s.stats.pair;
	$('st-pair').textContent = p ?
		`${p.localType}${p.relayProtocol ? '/' + p.relayProtocol : ''} ${p.localProtocol} ${p.localAddress} ⇄ ${p.remoteType} ${p.remoteAddress}` +
		(p.localType === 'relay' || p.remoteType === 'relay' ? ' (relayed)' : ' (direct)') :
		'none';
	$('st-bitrate').textContent = inCall ? `in ${s.stats.kbpsIn} kbit/s, out ${s.stats.kbpsOut} kbit/s` : '–';
	$('st-frames').textContent = String(s.stats.framesDecoded);
	$('remote-info').textContent = inCall ?
		`${s.peer}${s.stats.width ? ` · ${s.stats.width}×${s.stats.height}` : ''}` : 'no call';
	document.body.classList.toggle('in-call', inCall);
}

const phone = new Phone({
	status: (t) => {
		setStatus(t);
		log(t);
	},
	error: (t) => log(`error: ${t}`),
	id: () => {},
	named: (name, rejected) => {
		$('name').value = name;
		if (rejected)
			log(`that name was taken: you are "${name}"`);
		renderUsers(phone.users);
	},
	users: (list) => renderUsers(list),
	chat: (m) => renderChat(m),
	incoming: (name) => {
		st.incoming = name;
		$('incoming-text').textContent = `${name} is calling you.`;
		show($('incoming'), true);
		log(`incoming call from ${name}`);
	},
	incomingGone: () => {
		log(`${st.incoming} gave up calling`);
		st.incoming = null;
		show($('incoming'), false);
	},
	callState: renderCall,
	remoteStream: (s) => {
		$('remote').srcObject = s;
	},
	ended: (reason) => {
		st.callEnded = reason;
		if (st.recorder.active)
			stopRecording();
		// the seed's closeVideoCall also stops the local tracks
		media.stopStream($('remote').srcObject);
		$('remote').srcObject = null;
		media.stopStream(st.local);
		setLocal(null);
		setStatus(`call ended: ${reason}`);
		log(`call ended: ${reason}`);
	},
	localStream: async () => (live(st.local) ? st.local : startMedia()),
	relayOnly: () => $('relay-only').checked,
	turnTransport: () => $('turn-transport').value,
});

async function call(name) {
	st.callEnded = '';
	try {
		await phone.invite(name);
		log(`calling ${name}${$('relay-only').checked ? ' (relay only)' : ''}`);
	} catch (e) {
		log(`call ${name}: ${e.name}: ${e.message}`);
	}
}

function joined(on) {
	$('join-btn').disabled = on;
	$('leave-btn').disabled = !on;
	$('chat-text').disabled = !on;
	$('chat-send').disabled = !on;
}

// ---- wiring --------------------------------------------------------------

function wire() {
	$('preset').addEventListener('change', () => {
		const p = media.PRESETS[$('preset').value];
		if (p) {
			$('width').value = p[0];
			$('height').value = p[1];
		} else if ($('preset').value === '') {
			$('width').value = '';
			$('height').value = '';
		}
	});
	for (const id of ['width', 'height'])
		$(id).addEventListener('input', () => ($('preset').value = 'custom'));
	$('constraints').addEventListener('submit', (e) => {
		e.preventDefault();
		startMedia().catch(() => {});
	});
	$('stop').addEventListener('click', stopMedia);
	$('camera').addEventListener('change', () => switchDevice('video'));
	$('mic').addEventListener('change', () => switchDevice('audio'));
	$('snapshot').addEventListener('click', () => takeSnapshot('local'));
	$('snapshot-remote').addEventListener('click', () => takeSnapshot('remote'));
	$('rec-start').addEventListener('click', startRecording);
	$('rec-stop').addEventListener('click', stopRecording);
	$('join').addEventListener('submit', async (e) => {
		e.preventDefault();
		const name = $('name').value.trim();
		if (!name)
			return;
		joined(true);
		try {
			await phone.join(name);
		} catch (err) {
			joined(false);
			log(`join: ${err.message}`);
			setStatus(err.message);
		}
	});
	$('leave-btn').addEventListener('click', () => {
		phone.leave();
		joined(false);
	});
	$('chat-form').addEventListener('submit', (e) => {
		e.preventDefault();
		const text = $('chat-text').value;
		if (!text.trim())
			return;
		try {
			phone.sendChat(text);
			$('chat-text').value = '';
		} catch (err) {
			log(`chat: ${err.message}`);
		}
	});
	$('accept').addEventListener('click', async () => {
		show($('incoming'), false);
		const from = st.incoming;
		st.incoming = null;
		st.callEnded = '';
		try {
			await phone.accept();
			log(`accepted the call from ${from}`);
		} catch (e) {
			log(`accept: ${e.name}: ${e.message}`);
		}
	});
	$('decline').addEventListener('click', () => {
		show($('incoming'), false);
		log(`declined the call from ${st.incoming}`);
		st.incoming = null;
		phone.decline();
	});
	$('hangup').addEventListener('click', () => phone.hangUp('you hung up'));
	if (navigator.mediaDevices && navigator.mediaDevices.addEventListener)
		navigator.mediaDevices.addEventListener('devicechange', refreshDevices);
	refreshDevices();
}

// A read-only view of the page for tests: facts, not pixels.
function tracksOf(s) {
	return s ? tracksInfo(s.getTracks()) : [];
}

function tracksInfo(list) {
	return list.map((t) => {
		const set = t.getSettings();
		return {
			kind: t.kind, id: t.id, label: t.label, deviceId: set.deviceId || '', readyState: t.readyState,
			width: set.width, height: set.height, frameRate: set.frameRate,
			echoCancellation: set.echoCancellation, noiseSuppression: set.noiseSuppression,
			autoGainControl: set.autoGainControl, channelCount: set.channelCount, sampleRate: set.sampleRate,
		};
	});
}

const copy = (x) => (x === null || x === undefined ? x : JSON.parse(JSON.stringify(x)));

window.ternDemo = Object.freeze({
	get name() { return phone.name; },
	get id() { return phone.id; },
	get connected() { return phone.connected; },
	get users() { return phone.users.slice(); },
	get chat() { return copy(st.chat); },
	get incoming() { return st.incoming; },
	get call() { return copy(phone.state()); },
	get callEnded() { return st.callEnded; },
	get iceServers() { return phone.iceServers.map((s) => ({ urls: s.urls.slice(), username: !!s.username })); },
	get localTracks() { return tracksOf(st.local); },
	get remoteTracks() { return tracksOf($('remote').srcObject); },
	get senderTracks() { return phone.pc ? phone.pc.getSenders().map((s) => (s.track ? { kind: s.track.kind, label: s.track.label, id: s.track.id } : null)) : []; },
	get replaced() { return st.replaced; },
	get stoppedTracks() { return tracksInfo(st.stopped); },
	get devices() { return copy(st.devices); },
	get error() { return copy(st.error); },
	get snapshot() { return copy(st.snapshot); },
	get recording() { return copy(st.recording); },
	get recordingActive() { return st.recorder.active; },
	get log() { return st.log.slice(); },
});

wire();
