package marketplace

import (
	"encoding/json"
	"testing"
)

// FuzzEventData: event data maps are written byte for byte as
// encoding/json writes them, whether or not the direct path takes them.
func FuzzEventData(f *testing.F) {
	for _, s := range [][4]string{{"amount", "5.00", "order_id", "ord_1"}, {"a", "x<y", "b", "é"}, {"k", "", "", "v"},
		{"q", `say "hi"`, "t", "tab\there"}, {"same", "1", "same", "2"}} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]string{k1: v1, k2: v2}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := eventData(m); string(got) != string(want) {
			t.Fatalf("eventData %s, encoding/json %s", got, want)
		}
	})
}
