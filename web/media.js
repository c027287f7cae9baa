// media.js — the local side of the demo: constraints from the form,
// getUserMedia errors explained, devices, snapshots and recordings.
// No DOM lookups here: app.js owns the page.

// Resolution presets (width, height); "custom" leaves the fields as typed.
export const PRESETS = {
	qvga: [320, 240],
	vga: [640, 480],
	hd: [1280, 720],
	fhd: [1920, 1080],
};

// A constraint value: "ideal" is the plain number (what the seed's
// { width: 1280 } means), the others wrap it ({ exact: 1280 }...).
function shaped(how, n) {
	if (!Number.isFinite(n) || n <= 0)
		return undefined;
	return how === 'ideal' ? n : { [how]: n };
}

// o: { audio, video, how, width, height, fpsHow, fps, facing, facingExact,
//      camera, mic, echo, noise, gain, channels, rate } (numbers as numbers,
//      NaN or '' for unset) ->
// MediaStreamConstraints. Unset fields are left out so the browser picks.
export function buildConstraints(o) {
	let video = false;
	if (o.video) {
		video = {};
		const w = shaped(o.how, o.width), h = shaped(o.how, o.height);
		if (w !== undefined)
			video.width = w;
		if (h !== undefined)
			video.height = h;
		const f = shaped(o.fpsHow, o.fps);
		if (f !== undefined)
			video.frameRate = f;
		if (o.facing)
			video.facingMode = o.facingExact ? { exact: o.facing } : o.facing;
		if (o.camera)
			video.deviceId = { exact: o.camera };
		if (Object.keys(video).length === 0)
			video = true;
	}
	let audio = false;
	if (o.audio) {
		// The processing switches are always said (true is what browsers
		// do unasked); channels and sample rate only when chosen.
		audio = {
			echoCancellation: o.echo !== false,
			noiseSuppression: o.noise !== false,
			autoGainControl: o.gain !== false,
		};
		if (Number.isFinite(o.channels) && o.channels > 0)
			audio.channelCount = o.channels;
		if (Number.isFinite(o.rate) && o.rate > 0)
			audio.sampleRate = o.rate;
		if (o.mic)
			audio.deviceId = { exact: o.mic };
	}
	return { audio, video };
}

// What each getUserMedia error means and what the user can do about it.
const ADVICE = {
	NotFoundError: 'No camera or microphone matches the request. Plug one in, pick another device, or untick audio/video.',
	NotAllowedError: 'Permission was refused (by you, the browser or its policy). Allow the camera and microphone for this site (the icon in the address bar) and press Start again.',
	OverconstrainedError: 'No device can satisfy the constraint named above. Relax it: use "ideal" instead of "exact", another resolution or frame rate, or another device.',
	NotReadableError: 'The device exists but could not be opened: another application (or tab) may be using it, or it failed. Close the other user or pick another device.',
	AbortError: 'The device could not be started for a reason the browser does not name. Try again or pick another device.',
	SecurityError: 'Media is blocked here: the page must come from https:// or localhost, and not from a frame that forbids it.',
	TypeError: 'The request is empty or malformed: tick audio or video (or both).',
};

// err (a DOMException or TypeError) -> { name, message, constraint, advice }
export function explain(err) {
	const name = (err && err.name) || 'Error';
	return {
		name,
		// Chromium's OverconstrainedError has no message: say nothing twice
		message: err && err.message && err.message !== name ? err.message : '',
		constraint: (err && err.constraint) || '',
		advice: ADVICE[name] || 'Unexpected error; the browser console may say more.',
	};
}

// getUserMedia, with a SecurityError of our own where the API is missing
// (an insecure origin hides navigator.mediaDevices altogether).
export async function getMedia(constraints) {
	if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
		const e = new Error('navigator.mediaDevices is not available on this origin');
		e.name = 'SecurityError';
		throw e;
	}
	return navigator.mediaDevices.getUserMedia(constraints);
}

// { cameras: [{deviceId, label}], mics: [...] } (labels are empty until a
// permission was granted once).
export async function listDevices() {
	const out = { cameras: [], mics: [] };
	if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices)
		return out;
	const all = await navigator.mediaDevices.enumerateDevices();
	let nc = 0, nm = 0;
	for (const d of all) {
		if (d.kind === 'videoinput')
			out.cameras.push({ deviceId: d.deviceId, label: d.label || `camera ${++nc}` });
		else if (d.kind === 'audioinput')
			out.mics.push({ deviceId: d.deviceId, label: d.label || `microphone ${++nm}` });
	}
	return out;
}

export function stopStream(s) {
	if (s)
		s.getTracks().forEach((t) => t.stop());
}

function canvasBlob(canvas, type) {
	return new Promise((resolve) => canvas.toBlob(resolve, type, 0.92));
}

// The current frame of a playing <video> as { blob, type, width, height }:
// webp where the browser encodes it (toBlob falls back to png silently, so
// the blob's type says what we got), png otherwise.
export async function snapshot(video, canvas) {
	const width = video.videoWidth, height = video.videoHeight;
	if (!width || !height)
		throw new Error('no video frame yet: start the camera (or wait for the call) first');
	canvas.width = width;
	canvas.height = height;
	canvas.getContext('2d').drawImage(video, 0, 0, width, height);
	let blob = await canvasBlob(canvas, 'image/webp');
	if (!blob || blob.type !== 'image/webp')
		blob = await canvasBlob(canvas, 'image/png');
	if (!blob)
		throw new Error('the canvas could not be encoded');
	return { blob, type: blob.type, width, height };
}

// The first container MediaRecorder supports for this kind of stream.
export function recorderType(audioOnly) {
	const want = audioOnly ?
		['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'] :
		['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp8', 'video/webm', 'video/mp4'];
	if (typeof MediaRecorder === 'undefined')
		return null;
	return want.find((t) => MediaRecorder.isTypeSupported(t)) || '';
}

// One recording: start(stream, audioOnly) then stop() -> { blob, type, ms }.
export class Recording {
	constructor() {
		this.rec = null;
		this.chunks = [];
		this.t0 = 0;
	}

	get active() {
		return this.rec !== null && this.rec.state !== 'inactive';
	}

	start(stream, audioOnly) {
		if (typeof MediaRecorder === 'undefined')
			throw new Error('MediaRecorder is not supported by this browser');
		const type = recorderType(audioOnly);
		this.rec = new MediaRecorder(stream, type ? { mimeType: type } : {});
		this.chunks = [];
		this.rec.ondataavailable = (e) => {
			if (e.data && e.data.size)
				this.chunks.push(e.data);
		};
		// A timeslice, so a call that drops mid-recording keeps what came.
		this.rec.start(1000);
		this.t0 = performance.now();
	}

	stop() {
		const rec = this.rec;
		return new Promise((resolve, reject) => {
			if (!rec || rec.state === 'inactive') {
				reject(new Error('not recording'));
				return;
			}
			rec.onstop = () => {
				const type = rec.mimeType || (this.chunks[0] && this.chunks[0].type) || 'video/webm';
				const blob = new Blob(this.chunks, { type });
				this.rec = null;
				resolve({ blob, type, ms: Math.round(performance.now() - this.t0) });
			};
			rec.onerror = (e) => reject(e.error || new Error('MediaRecorder error'));
			rec.stop();
		});
	}
}
