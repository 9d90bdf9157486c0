// The same scripted HTTP peer as the httpc-wire probe's (raw request capture, scripted answers).
import '../httpc-wire/peer.mjs';
