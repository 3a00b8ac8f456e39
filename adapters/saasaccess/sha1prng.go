package saasaccess

import "crypto/sha1"

// javaSHA1PRNGKey returns the first n bytes that Java's
// SecureRandom.getInstance("SHA1PRNG") produces after setSeed(seed) on a
// fresh instance, which is what Huawei's sample feeds to
// KeyGenerator.getInstance("AES").init(bits, random).generateKey(): the AES
// key is nextBytes(bits/8).
//
// It mirrors OpenJDK's sun.security.provider.SecureRandom:
//
//	engineSetSeed:   state = SHA1(seed)              (state was null)
//	engineNextBytes: repeat { out = SHA1(state); updateState(state, out); emit out }
//	updateState:     state = state + out + 1, byte-wise from index 0 with
//	                 Java's signed-byte carry, and state[0]++ if no byte changed
//
// SHA1 is used here only because the Java sample does; it is a key
// derivation compatibility shim, not a security choice.
func javaSHA1PRNGKey(seed []byte, n int) []byte {
	state := sha1.Sum(seed)
	out := make([]byte, 0, n+sha1.Size)
	for len(out) < n {
		block := sha1.Sum(state[:])
		javaUpdateState(&state, &block)
		out = append(out, block[:]...)
	}
	return out[:n]
}

// javaUpdateState is OpenJDK's SecureRandom.updateState, reproducing the
// signed-byte arithmetic: (int)state[i] + (int)output[i] + last, with
// last = v >> 8 an arithmetic shift, so a carry may be -1, 0 or 1.
func javaUpdateState(state, output *[sha1.Size]byte) {
	last := 1
	changed := false
	for i := range state {
		v := int(int8(state[i])) + int(int8(output[i])) + last
		t := byte(v)
		changed = changed || state[i] != t
		state[i] = t
		last = v >> 8
	}
	if !changed {
		state[0]++
	}
}
