// call.js — signaling (the classic WebRTC chat sample's protocol over a
// WebSocket with the "json" subprotocol), TURN credentials from
// tern-signal's /turn-credentials, and one RTCPeerConnection at a time,
// the seed's call flow: invite -> video-offer, accept -> video-answer,
// trickled new-ice-candidate both ways, hang-up -> closeVideoCall on both
// sides (and on ICE failed, or disconnected for longer than a grace).

// How long "disconnected" may last before the call is given up: Chromium
// goes back to "connected" by itself after short losses.
export const DISCONNECT_GRACE_MS = 5000;

export function signalUrl() {
	const q = new URLSearchParams(location.search).get('signal');
	if (q)
		return q;
	return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

// The TURN transport a url gives: "udp" (turn: without ?transport, or
// transport=udp), "tcp" (turn:...?transport=tcp) or "tls" (turns:).
export function turnTransport(url) {
	const m = /^(turns?):[^?]*(?:\?(.*))?$/i.exec(url);
	if (!m)
		return '';
	if (m[1].toLowerCase() === 'turns')
		return 'tls';
	const t = new URLSearchParams(m[2] || '').get('transport');
	return t ? t.toLowerCase() : 'udp';
}

// The selected candidate pair from a getStats() report, with its candidates.
function selectedPair(report) {
	let pair = null;
	report.forEach((r) => {
		if (r.type === 'transport' && r.selectedCandidatePairId)
			pair = report.get(r.selectedCandidatePairId);
	});
	if (!pair) {
		report.forEach((r) => {
			if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded')
				pair = r;
		});
	}
	if (!pair)
		return null;
	const l = report.get(pair.localCandidateId) || {};
	const rm = report.get(pair.remoteCandidateId) || {};
	return {
		localType: l.candidateType || '',
		localProtocol: l.protocol || '',
		relayProtocol: l.relayProtocol || '',
		localAddress: l.address ? `${l.address}:${l.port}` : '',
		remoteType: rm.candidateType || '',
		remoteProtocol: rm.protocol || '',
		remoteAddress: rm.address ? `${rm.address}:${rm.port}` : '',
		rtt: pair.currentRoundTripTime,
	};
}

// ui: callbacks the page implements —
//   status(text), error(text), id(id), named(name, wasRejected),
//   users(list), chat({name, text, date}), incoming(name) / incomingGone(),
//   callState(stateObject), remoteStream(stream), ended(reason),
//   localStream() -> Promise<MediaStream> (starts the camera if needed),
//   relayOnly() -> bool, turnTransport() -> '' (any), 'udp', 'tcp', 'tls'
export class Phone {
	constructor(ui) {
		this.ui = ui;
		this.ws = null;
		this.id = null;
		this.token = null;
		this.name = '';
		this.users = [];
		this.pc = null;
		this.peer = null; // the other side's name while a call exists
		this.role = '';
		this.offer = null; // a video-offer waiting for accept/decline
		this.queued = []; // candidates that came before the remote description
		this.iceServers = [];
		this.stats = { pair: null, framesDecoded: 0, kbpsIn: 0, kbpsOut: 0, width: 0, height: 0 };
		this.prevBytes = null;
		this.statsTimer = null;
		this.graceTimer = null;
		this.gen = 0; // bumped by closeVideoCall: a call being set up notices
	}

	get connected() {
		return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
	}

	// Connect and ask for name; resolves when the server has said who we are.
	join(name) {
		if (this.ws)
			this.ws.close();
		this.name = name;
		return new Promise((resolve, reject) => {
			let ws;
			try {
				ws = new WebSocket(signalUrl(), 'json');
			} catch (e) {
				reject(e);
				return;
			}
			this.ws = ws;
			let settled = false;
			ws.onmessage = (ev) => {
				let msg;
				try {
					msg = JSON.parse(ev.data);
				} catch (e) {
					this.ui.error(`signaling: not JSON: ${String(ev.data).slice(0, 80)}`);
					return;
				}
				if (msg.type === 'id' && !settled) {
					settled = true;
					resolve();
				}
				this.onMessage(msg).catch((e) => this.ui.error(`${msg.type}: ${e.name}: ${e.message}`));
			};
			ws.onclose = (ev) => {
				if (this.ws !== ws)
					return;
				this.ws = null;
				this.users = [];
				this.ui.users([]);
				this.ui.status(`signaling closed (${ev.code}${ev.reason ? ' ' + ev.reason : ''})`);
				if (!settled) {
					settled = true;
					reject(new Error(`the signaling server at ${signalUrl()} closed the connection (${ev.code})`));
				}
			};
			ws.onerror = () => this.ui.status(`signaling: cannot reach ${signalUrl()}`);
		});
	}

	leave() {
		this.hangUp();
		if (this.ws) {
			const ws = this.ws;
			this.ws = null;
			ws.close(1000);
		}
		this.users = [];
		this.ui.users([]);
		this.ui.status('signaling closed');
	}

	send(msg) {
		if (!this.connected)
			throw new Error('not connected to the signaling server');
		this.ws.send(JSON.stringify(msg));
	}

	sendChat(text) {
		this.send({ type: 'message', text, id: this.id, date: Date.now() });
	}

	async onMessage(msg) {
		switch (msg.type) {
		case 'id':
			this.id = msg.id;
			this.token = msg.token || null;
			this.ui.id(msg.id);
			this.send({ type: 'username', name: this.name, id: this.id, date: Date.now() });
			this.ui.status(`connected as #${msg.id}`);
			break;
		case 'rejectusername':
			this.name = msg.name;
			this.ui.named(msg.name, true);
			break;
		case 'userlist':
			this.users = Array.isArray(msg.users) ? msg.users.filter((u) => typeof u === 'string') : [];
			this.ui.users(this.users);
			if (this.offer && !this.users.includes(this.offer.name)) {
				this.offer = null;
				this.ui.incomingGone();
			}
			if (this.peer && !this.users.includes(this.peer))
				this.closeVideoCall(`${this.peer} left`);
			break;
		case 'message':
			this.ui.chat({ name: msg.name, text: String(msg.text || ''), date: msg.date });
			break;
		case 'video-offer':
			this.onOffer(msg);
			break;
		case 'video-answer':
			await this.onAnswer(msg);
			break;
		case 'new-ice-candidate':
			await this.onCandidate(msg);
			break;
		case 'hang-up':
			this.onHangUp(msg);
			break;
		case 'error':
			this.ui.error(`signaling error ${msg.code}: ${msg.reason}`);
			break;
		default:
			break; // other types are for other clients of the sample protocol
		}
	}

	// The iceServers entry from tern-signal, for this call (credentials
	// expire: fetched fresh each time).
	async fetchIceServers() {
		if (!this.token)
			throw new Error('no token from the signaling server: cannot ask for TURN credentials');
		const r = await fetch('/turn-credentials', {
			headers: { Authorization: `Bearer ${this.token}` },
			cache: 'no-store',
		});
		if (!r.ok)
			throw new Error(`/turn-credentials answered ${r.status}`);
		const c = await r.json();
		if (!c || !Array.isArray(c.urls) || !c.urls.length)
			throw new Error('/turn-credentials gave no urls');
		// The transport picker keeps the TURN urls of one transport (STUN
		// urls stay): how a user tests "does TURN over TCP work here?".
		const want = this.ui.turnTransport();
		const urls = want ? c.urls.filter((u) => !/^turns?:/i.test(u) || turnTransport(u) === want) : c.urls;
		if (!urls.some((u) => /^turns?:/i.test(u)))
			throw new Error(`the server offers no TURN over ${want} (it offers ${c.urls.join(', ')})`);
		this.iceServers = [{ urls, username: c.username, credential: c.credential }];
		return this.iceServers;
	}

	async createPeerConnection(peer) {
		const gen = this.gen;
		this.peer = peer; // candidates from peer are queued from now on
		let servers = [];
		try {
			servers = await this.fetchIceServers();
		} catch (e) {
			this.iceServers = [];
			this.ui.error(`TURN credentials: ${e.message} (the call can only use host candidates)`);
		}
		if (gen !== this.gen)
			throw new Error(`the call with ${peer} ended while it was being set up`);
		const relay = this.ui.relayOnly();
		// Relay only without a TURN server gathers nothing and would wait
		// forever in "new": say so now.
		if (relay && !servers.length)
			throw new Error('relay only needs a TURN server, and there are no credentials: untick "relay only" or fix /turn-credentials');
		const pc = new RTCPeerConnection({
			iceServers: servers,
			iceTransportPolicy: relay ? 'relay' : 'all',
		});
		this.pc = pc;
		this.stats = { pair: null, framesDecoded: 0, kbpsIn: 0, kbpsOut: 0, width: 0, height: 0, relayOnly: relay };
		this.prevBytes = null;
		pc.onicecandidate = (e) => {
			if (e.candidate && this.peer && this.connected)
				this.send({ type: 'new-ice-candidate', name: this.name, target: this.peer, candidate: e.candidate.toJSON() });
		};
		pc.ontrack = (e) => {
			const s = e.streams[0] || new MediaStream([e.track]);
			this.remote = s;
			this.ui.remoteStream(s);
		};
		pc.oniceconnectionstatechange = () => this.onIceState();
		pc.onsignalingstatechange = () => {
			this.publish();
			if (pc.signalingState === 'closed')
				this.closeVideoCall('signaling state closed');
		};
		pc.onconnectionstatechange = () => this.publish();
		pc.onicegatheringstatechange = () => this.publish();
		this.statsTimer = setInterval(() => this.poll(), 1000);
		this.publish();
		return pc;
	}

	onIceState() {
		const pc = this.pc;
		if (!pc)
			return;
		const s = pc.iceConnectionState;
		this.publish();
		if (s === 'failed') {
			this.hangUp(`ICE ${s}`);
		} else if (s === 'closed') {
			this.closeVideoCall(`ICE ${s}`);
		} else if (s === 'disconnected') {
			clearTimeout(this.graceTimer);
			this.graceTimer = setTimeout(() => {
				if (this.pc === pc && pc.iceConnectionState === 'disconnected')
					this.hangUp(`ICE disconnected for ${DISCONNECT_GRACE_MS / 1000} s`);
			}, DISCONNECT_GRACE_MS);
		} else {
			clearTimeout(this.graceTimer);
		}
	}

	async addLocalTracks(pc) {
		const local = await this.ui.localStream();
		for (const t of local.getTracks())
			pc.addTrack(t, local);
		return local;
	}

	// Call peer (a name from the user list).
	async invite(peer) {
		if (this.pc || this.peer)
			throw new Error(`already in a call with ${this.peer}: hang up first`);
		if (peer === this.name)
			throw new Error('calling yourself is not possible');
		this.role = 'caller';
		this.queued = [];
		try {
			const pc = await this.createPeerConnection(peer);
			const local = await this.addLocalTracks(pc);
			// Receive what we do not send, so a camera-less caller still sees.
			if (!local.getAudioTracks().length)
				pc.addTransceiver('audio', { direction: 'recvonly' });
			if (!local.getVideoTracks().length)
				pc.addTransceiver('video', { direction: 'recvonly' });
			await pc.setLocalDescription(await pc.createOffer());
			this.send({ type: 'video-offer', name: this.name, target: peer, sdp: pc.localDescription.toJSON() });
			this.ui.status(`calling ${peer}…`);
		} catch (e) {
			this.hangUp(`call failed: ${e.message}`);
			throw e;
		}
	}

	onOffer(msg) {
		if (this.pc || this.peer || this.offer) {
			// busy: the caller's page cleans up as on a decline
			this.send({ type: 'hang-up', name: this.name, target: msg.name, reason: 'busy' });
			return;
		}
		this.offer = msg;
		this.queued = [];
		this.ui.incoming(msg.name);
	}

	async accept() {
		const msg = this.offer;
		if (!msg)
			return;
		this.offer = null;
		this.role = 'callee';
		try {
			const pc = await this.createPeerConnection(msg.name);
			await pc.setRemoteDescription(msg.sdp);
			await this.addLocalTracks(pc);
			await pc.setLocalDescription(await pc.createAnswer());
			this.send({ type: 'video-answer', name: this.name, target: msg.name, sdp: pc.localDescription.toJSON() });
			await this.flushCandidates();
			this.ui.status(`in a call with ${msg.name}`);
		} catch (e) {
			this.hangUp(`answer failed: ${e.message}`);
			throw e;
		}
	}

	decline() {
		const msg = this.offer;
		this.offer = null;
		this.queued = [];
		if (msg)
			this.send({ type: 'hang-up', name: this.name, target: msg.name, reason: 'declined' });
	}

	async onAnswer(msg) {
		if (!this.pc || msg.name !== this.peer)
			return;
		await this.pc.setRemoteDescription(msg.sdp);
		await this.flushCandidates();
		this.ui.status(`in a call with ${this.peer}`);
	}

	async onCandidate(msg) {
		const from = msg.name;
		const pending = this.offer && this.offer.name === from;
		if (!pending && this.peer !== from)
			return;
		if (!this.pc || !this.pc.remoteDescription) {
			this.queued.push(msg.candidate);
			return;
		}
		await this.addCandidate(msg.candidate);
	}

	async addCandidate(c) {
		try {
			await this.pc.addIceCandidate(c || null);
		} catch (e) {
			this.ui.error(`addIceCandidate: ${e.message}`);
		}
	}

	async flushCandidates() {
		const q = this.queued;
		this.queued = [];
		for (const c of q)
			await this.addCandidate(c);
	}

	onHangUp(msg) {
		if (this.offer && this.offer.name === msg.name) {
			this.offer = null;
			this.ui.incomingGone();
			return;
		}
		if (this.peer && msg.name === this.peer) {
			const why = msg.reason === 'declined' ? 'declined' : msg.reason === 'busy' ? 'is busy' : 'hung up';
			this.closeVideoCall(`${msg.name} ${why}`);
		}
	}

	// Our side ends the call: tell the peer, then clean up.
	hangUp(reason) {
		if (this.peer && this.connected) {
			try {
				this.send({ type: 'hang-up', name: this.name, target: this.peer });
			} catch (e) {
				// the socket closed in between: the peer sees our userlist exit
			}
		}
		this.closeVideoCall(reason || 'hung up');
	}

	// The seed's closeVideoCall: handlers off, every track stopped, the
	// connection closed, the page back to "ready".
	closeVideoCall(reason) {
		const pc = this.pc;
		clearInterval(this.statsTimer);
		clearTimeout(this.graceTimer);
		this.statsTimer = null;
		if (pc) {
			pc.ontrack = null;
			pc.onicecandidate = null;
			pc.oniceconnectionstatechange = null;
			pc.onsignalingstatechange = null;
			pc.onicegatheringstatechange = null;
			pc.onconnectionstatechange = null;
			pc.onnegotiationneeded = null;
			pc.getReceivers().forEach((r) => r.track && r.track.stop());
			pc.close();
		}
		const had = pc !== null || this.peer !== null;
		this.gen++;
		this.pc = null;
		this.peer = null;
		this.role = '';
		this.remote = null;
		this.queued = [];
		this.stats = { pair: null, framesDecoded: 0, kbpsIn: 0, kbpsOut: 0, width: 0, height: 0 };
		this.prevBytes = null;
		this.publish();
		if (had)
			this.ui.ended(reason || 'call ended');
	}

	// Swap the track of one kind in the call without renegotiating.
	async replaceTrack(track) {
		if (!this.pc)
			return false;
		const sender = this.pc.getSenders().find((s) => s.track && s.track.kind === track.kind) ||
			this.pc.getSenders().find((s) => !s.track && s.kind === track.kind);
		if (!sender)
			return false;
		await sender.replaceTrack(track);
		return true;
	}

	state() {
		const pc = this.pc;
		return {
			peer: this.peer,
			role: this.role,
			iceConnectionState: pc ? pc.iceConnectionState : 'none',
			signalingState: pc ? pc.signalingState : 'none',
			connectionState: pc ? pc.connectionState : 'none',
			iceGatheringState: pc ? pc.iceGatheringState : 'none',
			stats: this.stats,
		};
	}

	publish() {
		this.ui.callState(this.state());
	}

	async poll() {
		const pc = this.pc;
		if (!pc)
			return;
		let report;
		try {
			report = await pc.getStats();
		} catch (e) {
			return;
		}
		if (pc !== this.pc)
			return;
		let inBytes = 0, outBytes = 0, frames = 0, w = 0, h = 0;
		report.forEach((r) => {
			if (r.type === 'inbound-rtp') {
				inBytes += r.bytesReceived || 0;
				if (r.kind === 'video') {
					frames = r.framesDecoded || 0;
					w = r.frameWidth || 0;
					h = r.frameHeight || 0;
				}
			} else if (r.type === 'outbound-rtp') {
				outBytes += r.bytesSent || 0;
			}
		});
		const now = performance.now();
		const st = this.stats;
		if (this.prevBytes) {
			const dt = (now - this.prevBytes.t) / 1000;
			if (dt > 0) {
				st.kbpsIn = Math.round((inBytes - this.prevBytes.inBytes) * 8 / dt / 1000);
				st.kbpsOut = Math.round((outBytes - this.prevBytes.outBytes) * 8 / dt / 1000);
			}
		}
		this.prevBytes = { t: now, inBytes, outBytes };
		st.pair = selectedPair(report);
		st.framesDecoded = frames;
		st.width = w;
		st.height = h;
		this.publish();
	}
}
