package saasaccess_test

import (
	"errors"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

func TestTimestamps(t *testing.T) {
	at := time.Date(2023, 4, 3, 7, 50, 37, 508e6, time.UTC) // the guide's example 1680508237508
	if got := saasaccess.FormatTimestamp(at); got != "1680508237508" {
		t.Fatalf("FormatTimestamp = %s", got)
	}
	tests := []struct {
		name, in     string
		allowSeconds bool
		want         time.Time
		isErr        bool
	}{
		{"milliseconds", "1680508237508", false, at, false},
		{"milliseconds with seconds allowed", "1680508237508", true, at, false},
		{"10 digits are ms by default", "1680508237", false, time.UnixMilli(1680508237), false},
		{"10 digits as seconds", "1680508237", true, time.Unix(1680508237, 0), false},
		{"empty", "", false, time.Time{}, true},
		{"sign", "-1680508237508", false, time.Time{}, true},
		{"decimal point", "1680508237.508", false, time.Time{}, true},
		{"too long", "12345678901234567890", false, time.Time{}, true},
		{"overflow", "9999999999999999999", false, time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := saasaccess.ParseTimestamp(tc.in, tc.allowSeconds)
			if tc.isErr {
				if !errors.Is(err, saasaccess.ErrAuth) {
					t.Fatalf("err = %v, want ErrAuth", err)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("ParseTimestamp = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
