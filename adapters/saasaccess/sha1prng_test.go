package saasaccess

import (
	"crypto/sha1"
	"math/big"
	"math/rand/v2"
	"testing"
)

// signedDigitValue is Σ int8(b[i])·256^i: the number Java's updateState
// effectively adds, each byte read as a signed digit, little end first.
func signedDigitValue(b []byte) *big.Int {
	v := new(big.Int)
	for i := len(b) - 1; i >= 0; i-- {
		v.Lsh(v, 8)
		v.Add(v, big.NewInt(int64(int8(b[i]))))
	}
	return v
}

// TestUpdateStateIsSignedDigitAddition checks the byte loop against an
// independent big-integer formulation: the new state, read as an unsigned
// little-endian number, is (signed(state) + signed(output) + 1) mod 2^160.
func TestUpdateStateIsSignedDigitAddition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	mod := new(big.Int).Lsh(big.NewInt(1), 160)
	for i := range 2000 {
		var state, out [sha1.Size]byte
		for j := range state {
			state[j] = byte(rng.UintN(256))
			out[j] = byte(rng.UintN(256))
		}
		want := new(big.Int).Add(signedDigitValue(state[:]), signedDigitValue(out[:]))
		want.Add(want, big.NewInt(1))
		want.Mod(want, mod)
		javaUpdateState(&state, &out)
		var le [sha1.Size]byte
		for j := range le {
			le[j] = state[sha1.Size-1-j]
		}
		if got := new(big.Int).SetBytes(le[:]); got.Cmp(want) != 0 {
			t.Fatalf("case %d: state %x, want %x", i, got, want)
		}
	}
}

// TestUpdateStateNeverStandsStill covers Java's "make sure at least one
// bit changes" rule: an output whose signed-digit value is −1 (0xFF then
// zeros) cancels the +1, leaving the state unchanged, so state[0] is bumped.
func TestUpdateStateNeverStandsStill(t *testing.T) {
	var state, out [sha1.Size]byte
	for i := range state {
		state[i] = byte(i)
	}
	out[0] = 0xFF
	before := state
	javaUpdateState(&state, &out)
	want := before
	want[0]++
	if state != want {
		t.Fatalf("state = %x, want %x", state, want)
	}
}

// TestAES128KeyIsSHA1OfSHA1 checks the closed form the reference gives
// for the first block: SHA1(SHA1(seed))[:16].
func TestAES128KeyIsSHA1OfSHA1(t *testing.T) {
	for _, seed := range []string{"", "a", "ak-test-0001", "a much longer access key than one SHA-1 block of sixty-four bytes"} {
		s := sha1.Sum([]byte(seed))
		first := sha1.Sum(s[:])
		if got := javaSHA1PRNGKey([]byte(seed), 16); string(got) != string(first[:16]) {
			t.Errorf("seed %q: %x, want %x", seed, got, first[:16])
		}
	}
}
