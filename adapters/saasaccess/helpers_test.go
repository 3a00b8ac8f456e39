package saasaccess_test

import "github.com/google/go-cmp/cmp"

func diffAny(want, got any) string { return cmp.Diff(want, got, decimalEqual) }
