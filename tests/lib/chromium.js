// tests/lib/chromium.js — what every Chromium driver under tests/ shares:
// its "--name VALUE" arguments, and Debian's Chromium launched headless
// (Chromium's own new headless mode) with the flags that keep it off the
// network: no background services, no QUIC, no proxy lookup. Each driver
// adds its media flags and what else it needs.
//
// It needs nothing itself: the caller passes playwright-core's `chromium`
// (resolved from the caller's own node_modules or NODE_PATH).
'use strict';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// --name VALUE on the command line, or def.
function arg(name, def) {
	const i = process.argv.indexOf('--' + name);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const OFF_NETWORK = [
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--no-first-run', '--disable-quic', '--no-default-browser-check',
	'--disable-domain-reliability', '--disable-client-side-phishing-detection',
	'--no-proxy-server',
];
const OFF_FEATURES = ['MediaRouter', 'OptimizationHints', 'Translate', 'AutofillServerCommunication'];

// Launch Chromium: o.args are added to the shared flags, o.disable to the
// features switched off (Chromium reads one --disable-features), o.exe
// replaces the executable (a wrapper, say).
function launch(chromium, o = {}) {
	const features = [...OFF_FEATURES, ...(o.disable || [])];
	return chromium.launch({
		executablePath: o.exe || CHROMIUM,
		headless: false, // the flag below: Chromium's own new headless mode
		timeout: 30000,
		args: [
			'--headless=new', '--no-sandbox', '--autoplay-policy=no-user-gesture-required',
			...OFF_NETWORK, `--disable-features=${features.join(',')}`, ...(o.args || []),
		],
	});
}

module.exports = { CHROMIUM, arg, launch };
