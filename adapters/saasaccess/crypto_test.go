package saasaccess_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

// javaVectors were printed by testdata/JavaSampleVectors.java (OpenJDK 17):
// the keys KeyGenerator("AES").init(bits, SHA1PRNG.setSeed(key)) generates,
// and the Java encryption of "P@ssw0rd!" under IV "abcdefghijklmnop".
var javaVectors = []struct {
	accessKey      string
	key128, key256 string
	enc256, enc128 string
}{
	{"ak-test-0001", "dc3794a3f2f29820bf75432ce3d8972c", "dc3794a3f2f29820bf75432ce3d8972c5b23f9403569b09333f1fd4bd5f01896",
		"abcdefghijklmnopjSfY7cK8PPsIfeNVYAfuiA==", "abcdefghijklmnopjdIeiLLl+W8JFt8UOoGgDA=="},
	{"", "be1bdec0aa74b4dcb079943e70528096", "be1bdec0aa74b4dcb079943e70528096cca985f80a0e17bb3ba928a79edc0fd2",
		"abcdefghijklmnopcu6LuggoFdNAyOM0gHfK5w==", "abcdefghijklmnopaYJNKbsPfRbnW5T7klbhLQ=="},
	{"中文key", "e5edaa8cfba0e535a2e52f1e2c0146d7", "e5edaa8cfba0e535a2e52f1e2c0146d705001c3274c1de1f34837ce1c99ba6c1",
		"abcdefghijklmnopJOoqYix34TurDlX7AjnOnA==", "abcdefghijklmnophH9mW++uATgMQ5+9KFlmiA=="},
	{"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "6c00784154e9751c790e63d72ee78aa2", "6c00784154e9751c790e63d72ee78aa2023fce434e1793786c43146a54e23df5",
		"abcdefghijklmnoplNcRHUrCW6EfQNobs0tw1g==", "abcdefghijklmnopCVG1ePkPSas8x4sdd0TUgQ=="},
}

func TestJavaSHA1PRNGDerivationMatchesJava(t *testing.T) {
	for _, v := range javaVectors {
		t.Run(fmt.Sprintf("key %q", v.accessKey), func(t *testing.T) {
			for _, tc := range []struct {
				typ  saasaccess.EncryptType
				want string
			}{{saasaccess.AES128, v.key128}, {saasaccess.AES256, v.key256}} {
				got, err := saasaccess.DeriveKey(v.accessKey, tc.typ, saasaccess.JavaSHA1PRNG)
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(got) != tc.want {
					t.Errorf("%s key = %x, want %s", tc.typ, got, tc.want)
				}
			}
			c, err := saasaccess.NewCrypter(v.accessKey, saasaccess.JavaSHA1PRNG, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				typ saasaccess.EncryptType
				enc string
			}{{saasaccess.AES256, v.enc256}, {saasaccess.AES128, v.enc128}} {
				got, err := c.Decrypt(tc.typ, tc.enc)
				if err != nil || got != "P@ssw0rd!" {
					t.Errorf("Decrypt(%s, Java ciphertext) = %q, %v", tc.typ, got, err)
				}
			}
		})
	}
}

// ivReader yields the bytes that Encrypt maps to the IV "abcdefghijklmnop"
// (byte n becomes the alphabet's character n mod 62; 'a' is the 27th), so
// an encryption can be compared with a Java one byte for byte.
type ivReader struct{}

func (ivReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(26 + i%16)
	}
	return len(p), nil
}

// TestEncryptionMatchesJava is a known-answer test of both derivations in
// both directions. The raw-key vectors were printed by
// testdata/RawKeyVectors.java (AES/CBC/PKCS5Padding keyed with the access
// key's own bytes: 32 bytes for encryptType 1, 16 for encryptType 2); the
// SHA1PRNG ones by testdata/JavaSampleVectors.java (javaVectors). Each is
// "P@ssw0rd!" under IV "abcdefghijklmnop".
func TestEncryptionMatchesJava(t *testing.T) {
	type vector struct {
		name, key string
		d         saasaccess.KeyDerivation
		typ       saasaccess.EncryptType
		want      string
	}
	tests := []vector{
		{"raw 32-byte key, AES-256", testKey, saasaccess.RawKey, saasaccess.AES256, "abcdefghijklmnopag/JpMXWY9fWpkXAf+0tZw=="},
		{"raw 16-byte key, AES-128", testKey[:16], saasaccess.RawKey, saasaccess.AES128, "abcdefghijklmnopA2AAG7wGpc9WYlb1UsNVbA=="},
	}
	for _, v := range javaVectors {
		tests = append(tests,
			vector{fmt.Sprintf("java %q, AES-256", v.accessKey), v.accessKey, saasaccess.JavaSHA1PRNG, saasaccess.AES256, v.enc256},
			vector{fmt.Sprintf("java %q, AES-128", v.accessKey), v.accessKey, saasaccess.JavaSHA1PRNG, saasaccess.AES128, v.enc128})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := saasaccess.NewCrypter(tc.key, tc.d, ivReader{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Encrypt(tc.typ, "P@ssw0rd!")
			if err != nil || got != tc.want {
				t.Errorf("Encrypt = %q, %v; Java gives %q", got, err, tc.want)
			}
			if p, err := c.Decrypt(tc.typ, tc.want); err != nil || p != "P@ssw0rd!" {
				t.Errorf("Decrypt(Java value) = %q, %v", p, err)
			}
		})
	}
}

// fixedReader yields the same byte forever, to pin the IV.
type fixedReader byte

func (f fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}

func TestEncryptIsJavaCompatible(t *testing.T) {
	// Byte 0 maps to 'A' in the IV alphabet: the IV is 16 × 'A'. Decrypting
	// with the Java-derived key, then comparing against a Java-format value
	// rebuilt from our own output, checks the format end to end.
	c, err := saasaccess.NewCrypter("ak-test-0001", saasaccess.JavaSHA1PRNG, fixedReader(0))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encrypt(saasaccess.AES256, "P@ssw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, strings.Repeat("A", 16)) {
		t.Fatalf("IV prefix of %q is not 16 × 'A'", enc)
	}
	got, err := c.Decrypt(saasaccess.AES256, enc)
	if err != nil || got != "P@ssw0rd!" {
		t.Fatalf("round trip = %q, %v", got, err)
	}
}

func TestCrypterRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	plaintexts := []string{"", "a", "P@ssw0rd!", strings.Repeat("x", 15), strings.Repeat("y", 16), strings.Repeat("z", 17), "密码-пароль-🔑"}
	for i := 0; i < 20; i++ {
		b := make([]byte, rng.IntN(100))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		plaintexts = append(plaintexts, string(b))
	}
	tests := []struct {
		name, key string
		d         saasaccess.KeyDerivation
		types     []saasaccess.EncryptType
	}{
		{"raw 32-byte key", testKey, saasaccess.RawKey, []saasaccess.EncryptType{saasaccess.AES256}},
		{"raw 16-byte key", testKey[:16], saasaccess.RawKey, []saasaccess.EncryptType{saasaccess.AES128}},
		{"java derivation", "any-length access key", saasaccess.JavaSHA1PRNG, []saasaccess.EncryptType{saasaccess.AES256, saasaccess.AES128}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := saasaccess.NewCrypter(tc.key, tc.d, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, typ := range tc.types {
				if !c.Supports(typ) {
					t.Fatalf("Supports(%s) = false", typ)
				}
				for _, p := range plaintexts {
					enc, err := c.Encrypt(typ, p)
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(enc, p) && len(p) > 3 {
						t.Fatalf("ciphertext %q contains the plaintext", enc)
					}
					got, err := c.Decrypt(typ, enc)
					if err != nil || got != p {
						t.Fatalf("%s round trip of %q = %q, %v", typ, p, got, err)
					}
				}
			}
			other := saasaccess.AES128
			if tc.types[0] == saasaccess.AES128 {
				other = saasaccess.AES256
			}
			if len(tc.types) == 1 {
				if _, err := c.Encrypt(other, "x"); !errors.Is(err, saasaccess.ErrCredential) {
					t.Errorf("Encrypt(%s) with a key of the wrong size = %v, want ErrCredential", other, err)
				}
			}
		})
	}
}

func TestEncryptUsesFreshIVs(t *testing.T) {
	c, err := saasaccess.NewCrypter(testKey, saasaccess.RawKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Encrypt(saasaccess.AES256, "same")
	b, _ := c.Encrypt(saasaccess.AES256, "same")
	if a == b {
		t.Fatalf("two encryptions are identical: %q", a)
	}
	for _, r := range a[:16] {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", r) {
			t.Fatalf("IV %q is not alphanumeric", a[:16])
		}
	}
}

func TestDecryptFailures(t *testing.T) {
	c, err := saasaccess.NewCrypter(testKey, saasaccess.RawKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := c.Encrypt(saasaccess.AES256, "secret")
	wrongKey, _ := saasaccess.NewCrypter(strings.Repeat("k", 32), saasaccess.RawKey, nil)
	tests := []struct {
		name, value string
		typ         saasaccess.EncryptType
		c           *saasaccess.Crypter
	}{
		{"shorter than the IV", "abc", saasaccess.AES256, c},
		{"not base64", "abcdefghijklmnop***", saasaccess.AES256, c},
		{"empty ciphertext", "abcdefghijklmnop", saasaccess.AES256, c},
		{"partial block", "abcdefghijklmnop" + "AAAA", saasaccess.AES256, c},
		{"wrong key", good, saasaccess.AES256, wrongKey},
		{"unknown type", good, saasaccess.EncryptType(3), c},
		{"type without key", good, saasaccess.AES128, c},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.c.Decrypt(tc.typ, tc.value)
			if !errors.Is(err, saasaccess.ErrCredential) {
				t.Fatalf("Decrypt = %q, %v; want ErrCredential", got, err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q reveals the plaintext", err)
			}
		})
	}
}

func TestDeriveKey(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		typ   saasaccess.EncryptType
		d     saasaccess.KeyDerivation
		want  []byte
		isErr bool
	}{
		{"raw 256", testKey, saasaccess.AES256, saasaccess.RawKey, []byte(testKey), false},
		{"raw 128", testKey[:16], saasaccess.AES128, saasaccess.RawKey, []byte(testKey[:16]), false},
		{"raw wrong size", "short", saasaccess.AES256, saasaccess.RawKey, nil, true},
		{"unknown type", testKey, 0, saasaccess.RawKey, nil, true},
		{"unknown derivation", testKey, saasaccess.AES256, saasaccess.KeyDerivation(9), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := saasaccess.DeriveKey(tc.key, tc.typ, tc.d)
			if tc.isErr {
				if !errors.Is(err, saasaccess.ErrCredential) {
					t.Fatalf("err = %v, want ErrCredential", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("DeriveKey = %x, %v; want %x", got, err, tc.want)
			}
		})
	}
	if _, err := saasaccess.NewCrypter("short", saasaccess.RawKey, nil); !errors.Is(err, saasaccess.ErrCredential) {
		t.Errorf("NewCrypter with an unusable raw key = %v, want ErrCredential", err)
	}
}

func TestEnumStrings(t *testing.T) {
	got := []string{
		saasaccess.AES256.String(), saasaccess.AES128.String(), saasaccess.EncryptType(7).String(),
		saasaccess.RawKey.String(), saasaccess.JavaSHA1PRNG.String(), saasaccess.KeyDerivation(7).String(),
	}
	want := []string{"AES256", "AES128", "EncryptType(7)", "raw", "java-sha1prng", "KeyDerivation(7)"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("String #%d = %q, want %q", i, got[i], want[i])
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	c, err := saasaccess.NewCrypter("fuzz-key", saasaccess.JavaSHA1PRNG, nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range javaVectors {
		f.Add(v.enc256, 1)
		f.Add(v.enc128, 2)
	}
	f.Add("", 0)
	f.Add("abcdefghijklmnop====", 1)
	f.Fuzz(func(t *testing.T, value string, typ int) {
		// Must not panic; a success must re-encrypt to something that
		// decrypts to the same plaintext.
		p, err := c.Decrypt(saasaccess.EncryptType(typ), value)
		if err != nil {
			if !errors.Is(err, saasaccess.ErrCredential) {
				t.Fatalf("error %v does not wrap ErrCredential", err)
			}
			return
		}
		enc, err := c.Encrypt(saasaccess.EncryptType(typ), p)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := c.Decrypt(saasaccess.EncryptType(typ), enc); err != nil || back != p {
			t.Fatalf("re-encryption round trip = %q, %v", back, err)
		}
	})
}

func ExampleDeriveKey() {
	// Huawei's Java sample seeds SHA1PRNG with the access key and lets
	// KeyGenerator draw the AES key from it; the AES-128 key is the first
	// 16 bytes of the AES-256 one.
	k256, _ := saasaccess.DeriveKey("ak-test-0001", saasaccess.AES256, saasaccess.JavaSHA1PRNG)
	k128, _ := saasaccess.DeriveKey("ak-test-0001", saasaccess.AES128, saasaccess.JavaSHA1PRNG)
	fmt.Printf("%x\n%x\n", k256, k128)
	// Output:
	// dc3794a3f2f29820bf75432ce3d8972c5b23f9403569b09333f1fd4bd5f01896
	// dc3794a3f2f29820bf75432ce3d8972c
}
