package objective_test

import (
	"testing"

	"github.com/byb-dev/byb/byb/objective"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestRegistryHasBYB(t *testing.T) {
	m, err := objective.Lookup("byb")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	m.Defaults(ctx)
	ctx.SetParam(objective.ParamLoss, "mse")
	obj, err := m.New(ctx, objective.Facts{})
	if err != nil || obj.Name() != "byb" || obj.(*objective.BYB).LossKind != "mse" {
		t.Fatalf("byb from the registry: %v, %v", obj, err)
	}
	if _, err := objective.Lookup("nope"); err == nil {
		t.Fatal("unknown method accepted")
	}
	ctx.SetParam(objective.ParamLoss, "l1")
	if _, err := m.New(ctx, objective.Facts{}); err == nil {
		t.Fatal("byb_loss=l1 accepted")
	}
}
