#!/usr/bin/env node
// tests/netlab/browser.js — the demo page (web/, served by tern-signal on the
// lab's public segment) in two headless Chromiums, each in a site of the NAT
// lab (its own network namespace), one calling the other; passes when both
// decode the other's video (framesDecoded grows) and prints the pair each
// selected. Run by scripts/netlab browser A B, which starts tern-signal and a
// ternd with its REST secret; see there.
//
//   node browser.js --origin http://203.0.113.30:6503/ --ns-a NS --ns-b NS
//                   [--relay-only] [--transport udp|tcp|tls] [--timeout 30]
//
// Chromium runs as "ip netns exec NS chromium" (a wrapper written to a
// temporary directory; playwright-core drives it over --remote-debugging-pipe,
// whose descriptors ip netns exec keeps). The page is plain http on a
// non-loopback address: --unsafely-treat-insecure-origin-as-secure makes it
// a secure context, as getUserMedia needs. Last line: "PAIR_A | PAIR_B MS"
// (each page's selected pair: local type[/TURN transport]-remote type and
// the remote address; MS from the click on "call" to both decoding) or
// "FAIL why"; exit 0 or 1. Chromium gathers IPv6 too: with policy "all",
// two sites connect directly over the lab's routed IPv6 whatever their
// IPv4 NATs are (the relay-only calls are the NAT test).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const { CHROMIUM, arg, launch: launchChromium } = require('../lib/chromium');

const ORIGIN = arg('origin', '');
const NS_A = arg('ns-a', ''), NS_B = arg('ns-b', '');
const RELAY_ONLY = process.argv.includes('--relay-only');
const TRANSPORT = arg('transport', '');
const TIMEOUT_S = Number(arg('timeout', '30'));

function note(s) {
	console.error(`# ${s}`);
}

function wrapper(dir, ns) {
	const f = path.join(dir, `chromium-${ns}`);
	fs.writeFileSync(f, `#!/bin/sh\nexec ip netns exec '${ns}' '${CHROMIUM}' "$@"\n`, { mode: 0o755 });
	return f;
}

function launch(chromium, exe) {
	return launchChromium(chromium, {
		exe,
		args: [
			'--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream=device-count=1',
			`--unsafely-treat-insecure-origin-as-secure=${ORIGIN.replace(/\/$/, '')}`,
		],
		disable: ['WebRtcHideLocalIpsWithMdns'],
	});
}

async function page(browser, name) {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
	const p = await ctx.newPage();
	await p.goto(ORIGIN, { timeout: 15000 });
	await p.waitForFunction(() => window.ternDemo !== undefined, null, { timeout: 10000 });
	if (RELAY_ONLY)
		await p.check('#relay-only');
	if (TRANSPORT)
		await p.selectOption('#turn-transport', TRANSPORT);
	await p.fill('#name', name);
	await p.click('#join-btn');
	return p;
}

async function until(p, fn, a, secs) {
	try {
		await p.waitForFunction(fn, a, { timeout: (secs || TIMEOUT_S) * 1000, polling: 200 });
		return true;
	} catch (e) {
		return false;
	}
}

function pairText(s) {
	const p = s.stats && s.stats.pair;
	if (!p)
		return `no pair (ice ${s.iceConnectionState})`;
	return `${p.localType}${p.relayProtocol ? '/' + p.relayProtocol : ''}-${p.remoteType} ${p.remoteAddress}`;
}

async function main() {
	if (!ORIGIN || !NS_A || !NS_B) {
		console.error('usage: browser.js --origin URL --ns-a NS --ns-b NS [--relay-only] [--transport T]');
		process.exit(2);
	}
	const { chromium } = require('playwright-core');
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-netlab-browser-'));
	const ba = await launch(chromium, wrapper(dir, NS_A));
	const bb = await launch(chromium, wrapper(dir, NS_B));
	let ok = false;
	try {
		const a = await page(ba, 'alice');
		const b = await page(bb, 'bob');
		const listed = () => ['alice', 'bob'].every((n) => window.ternDemo.users.includes(n));
		if (!(await until(a, listed, null, 15)) || !(await until(b, listed, null, 15))) {
			console.log('FAIL the two pages did not see each other through tern-signal');
			return false;
		}
		const t0 = Date.now();
		await a.click('#users button:has-text("bob")');
		if (!(await until(b, () => window.ternDemo.incoming === 'alice', null, 15))) {
			console.log('FAIL bob was not rung');
			return false;
		}
		await b.click('#accept');
		const decoding = (min) => window.ternDemo.call.stats.framesDecoded > min;
		const da = await until(a, decoding, 0), db = await until(b, decoding, 0);
		const ms = Date.now() - t0;
		let sa = await a.evaluate(() => window.ternDemo.call), sb = await b.evaluate(() => window.ternDemo.call);
		note(`alice ${JSON.stringify(sa)}`);
		note(`bob ${JSON.stringify(sb)}`);
		if (!da || !db) {
			console.log(`FAIL not decoding: alice ${sa.stats.framesDecoded} frames (ice ${sa.iceConnectionState}), bob ${sb.stats.framesDecoded} (ice ${sb.iceConnectionState}); log ${JSON.stringify(await a.evaluate(() => window.ternDemo.log.slice(-4)))}`);
			return false;
		}
		const fa = sa.stats.framesDecoded, fb = sb.stats.framesDecoded;
		if (!(await until(a, decoding, fa + 10, 10)) || !(await until(b, decoding, fb + 10, 10))) {
			console.log(`FAIL frames did not grow by 10 from alice ${fa} / bob ${fb}`);
			return false;
		}
		sa = await a.evaluate(() => window.ternDemo.call);
		sb = await b.evaluate(() => window.ternDemo.call);
		console.log(`${pairText(sa)} | ${pairText(sb)} ${ms}ms`);
		ok = true;
	} finally {
		await ba.close().catch(() => {});
		await bb.close().catch(() => {});
		fs.rmSync(dir, { recursive: true, force: true });
	}
	return ok;
}

main().then((ok) => process.exit(ok ? 0 : 1), (e) => {
	console.log(`FAIL ${String(e.stack || e).split('\n').slice(0, 2).join(' | ')}`);
	process.exit(1);
});
