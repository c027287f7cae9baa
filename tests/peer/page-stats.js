// tests/peer/page-stats.js — what a test page's peer connection received,
// read from getStats the same way in Chromium (chromium-lib.js adds this
// file to its page) and Firefox (firefox-call.html loads it): frames
// decoded and their width, audio samples and packets, and the local
// candidate type of the nominated pair.
window.pageStats = async (pc) => {
  const out = { framesDecoded: 0, frameWidth: 0, audioSamples: 0, audioPackets: 0, pair: '',
    state: pc ? pc.connectionState : 'none', streams: window.remoteStreams || 0 };
  if (!pc) return out;
  const st = await pc.getStats();
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
};
