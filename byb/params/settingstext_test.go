package params_test

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Settings travel as params.Set: outside the command-line programs (cmd/, which parse --set),
// no code builds "name=value;..." text by joining pieces, so that a value's spelling cannot
// change what a run does or how it is cached. The pieces such code is made of are caught:
// a literal joined with + that starts or ends a settings entry (";", ";seed=", "name="), and
// a Sprintf format that appends one ("%s;seed=%d", ";%s=%d").
func TestNoSettingsTextOutsideTheCLI(t *testing.T) {
	fset, files := parseSources(t)
	joined := regexp.MustCompile(`^;[a-z%]|^;$|[a-z0-9_]=$`)
	format := regexp.MustCompile(`%[sv];[a-z%]|^;%s=|^;[a-z_]+=%`)
	checked := 0
	for _, f := range files {
		path := filepath.ToSlash(fset.Position(f.Pos()).Filename)
		if strings.Contains(path, "/cmd/") || strings.Contains(path, "/internal/") {
			continue
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BinaryExpr:
				if x.Op != token.ADD {
					return true
				}
				for _, side := range []ast.Expr{x.X, x.Y} {
					if lit, ok := side.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if v, _ := strconv.Unquote(lit.Value); joined.MatchString(v) {
							t.Errorf("%s: settings text joined with + (%s): combine params.Set values instead", fset.Position(lit.Pos()), lit.Value)
						}
					}
				}
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Sprintf" || len(x.Args) == 0 {
					return true
				}
				if lit, ok := x.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, _ := strconv.Unquote(lit.Value); format.MatchString(v) {
						t.Errorf("%s: settings text built with Sprintf (%s): combine params.Set values instead", fset.Position(lit.Pos()), lit.Value)
					}
				}
			}
			return true
		})
	}
	if checked < 100 {
		t.Errorf("checked %d files; want the code base's: is the walk reading them?", checked)
	}
}
