package jasm

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// parseInt agrees with strconv on decimal and hexadecimal integers around
// every digit count and at the int64 limits, where the overflow check
// (skipped below 16 digits) decides.
func TestParseIntAgreesWithStrconv(t *testing.T) {
	cases := []string{"0", "-0", "+7", "0x", "-", "", "1a", "0x1g", "--1",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999",
		"0x7fffffffffffffff", "0x8000000000000000", "-0x8000000000000000", "-0x8000000000000001",
		"0xffffffffffffffff", "0x10000000000000000", "000000000000000000000000001"}
	r := rand.New(rand.NewPCG(1, 2))
	for digits := 1; digits <= 22; digits++ {
		for range 50 {
			var b strings.Builder
			hex := r.IntN(2) == 0
			if r.IntN(2) == 0 {
				b.WriteByte('-')
			}
			if hex {
				b.WriteString("0x")
			}
			for range digits {
				if hex {
					b.WriteByte("0123456789abcdefABCDEF"[r.IntN(22)])
				} else {
					b.WriteByte(byte('0' + r.IntN(10)))
				}
			}
			cases = append(cases, b.String())
		}
	}
	for _, s := range cases {
		got, ok := parseInt(s)
		want, err := strconv.ParseInt(strings.Replace(s, "0x", "", 1), base(s), 64)
		if (err == nil) != ok || ok && got != want {
			t.Errorf("parseInt(%q) = %d, %v; strconv: %d, %v", s, got, ok, want, err)
		}
	}
	if v, ok := parseInt("-9223372036854775808"); !ok || v != math.MinInt64 {
		t.Errorf("MinInt64: %d, %v", v, ok)
	}
}

func base(s string) int {
	if strings.Contains(s, "0x") {
		return 16
	}
	return 10
}
