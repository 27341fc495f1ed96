package ingest

import (
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, "big.csv")
	p.tick(1000) // not a multiple of 64Ki: not even a look at the clock
	p.tick(1 << 16)
	if b.Len() != 0 {
		t.Fatalf("progress before %v: %q", p.every, b.String())
	}
	p.every = 0
	p.tick(3 << 16)
	if !strings.HasPrefix(b.String(), "big.csv: 196,608 rows read (") || !strings.Contains(b.String(), "rows/s)") {
		t.Fatalf("progress %q", b.String())
	}
	newProgress(nil, "x").tick(1 << 16) // silent without a writer
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 541909: "541,909", -1234567: "-1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
}
