package marketplace

import (
	"regexp"
	"sort"
	"testing"
	"time"
)

func TestTimeOrderedIDs(t *testing.T) {
	shape := regexp.MustCompile(`^ord_[0-9a-f]{32}$`)
	seen := map[string]bool{}
	var ids []string
	for range 2000 {
		id := randomIDs{}.NewID(KindOrder)
		if !shape.MatchString(id) {
			t.Fatalf("id %q: want ord_ and 32 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	// Ids made in a later millisecond sort after every earlier one.
	before := randomIDs{}.NewID(KindOrder)
	time.Sleep(2 * time.Millisecond)
	after := randomIDs{}.NewID(KindOrder)
	if before >= after {
		t.Errorf("id made later %q sorts before %q", after, before)
	}
	if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i][:16] < ids[j][:16] }) {
		t.Errorf("the time prefixes of ids made one after another are not in order")
	}
}

func TestTimeOrderedHex(t *testing.T) {
	at := time.Date(2026, 11, 23, 7, 0, 0, 123_000_000, time.UTC)
	got := timeOrderedHex(at)
	// 2026-11-23T07:00:00.123Z is 1795417200123 ms = 0x01a2073455fb.
	if want := "01a2073455fb"; got[:12] != want {
		t.Errorf("time prefix %s, want %s", got[:12], want)
	}
	if timeOrderedHex(at)[12:] == got[12:] {
		t.Errorf("two ids in one millisecond share their random part")
	}
}
