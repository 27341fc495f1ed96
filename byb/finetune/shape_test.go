package finetune

import (
	"strings"
	"testing"
)

// Settings that would change the shape of an encoder started from a pretrained run are
// refused naming each one (GoMLX only said that a variable's shape differs).
func TestSameShapeNamesTheSettings(t *testing.T) {
	pre := map[string]any{"d": 16, "layers": 1, "heads": 4}
	if err := sameShape("run", pre, map[string]any{"d": 16, "layers": 1, "heads": 4}); err != nil {
		t.Fatalf("the same shape: %v", err)
	}
	err := sameShape("run", pre, map[string]any{"d": 32, "layers": 2, "heads": 4})
	if err == nil || !strings.Contains(err.Error(), "run was pretrained with d=16 (--set asks 32), layers=1 (--set asks 2)") {
		t.Fatalf("another d and layers: %v", err)
	}
}
