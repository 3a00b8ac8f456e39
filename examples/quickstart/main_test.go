package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Cost details: $5.00 USD/month × 1 month(s)",
		"s3.small.1   software 5.00 + ECS 0.0136 = 5.0136 USD/hour",
		"m2.large.8   software 5.00 + ECS 0.7236 = 5.7236 USD/hour",
		"Expires:   2020-10-01 15:59:59 UTC",
		"Remaining: 30 days",
		"Renewed for 1 month:    May 31, 2024 23:59:59 GMT+08:00 - 13 days left",
		"used 344 h of 758 h (14d 8h of 31d 14h)",
		"$44.62 USD",
		"$751.23 USD",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
