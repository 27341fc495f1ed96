package params_test

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/params"

	// Every package that declares parameters, so that the registry is complete.
	_ "github.com/byb-dev/byb/byb/bagofids"
	_ "github.com/byb-dev/byb/byb/pipeline"
	_ "github.com/byb-dev/byb/methods"
)

// A default is written once, in its declaration: outside tests, parameters are read with
// params.Get, whose type argument must be the declared type, never with a literal fallback
// of GoMLX's context.GetParamOr (such fallbacks had drifted from the registry: a learning
// rate of 1e-4 against 1e-3, min_steps 0 against 400). The sources are read as text, so a
// read on a path no test runs is checked too.
func TestEveryReadIsDeclared(t *testing.T) {
	fset, files := parseSources(t)
	// Parameter names are string constants (ParamLearningRate = "learning_rate").
	names := map[string]string{}
	for _, f := range files {
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							names[n.Name] = constant.StringVal(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
						}
					}
				}
			}
		}
	}
	reads := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			pos := fset.Position(call.Pos())
			fun := call.Fun
			var typeArg ast.Expr
			if ix, ok := fun.(*ast.IndexExpr); ok {
				fun, typeArg = ix.X, ix.Index
			}
			sel, ok := fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch {
			case sel.Sel.Name == "GetParamOr" && !strings.HasSuffix(filepath.ToSlash(pos.Filename), "byb/params/params.go"):
				t.Errorf("%s: context.GetParamOr with a fallback of its own: read the parameter with params.Get", pos)
			case sel.Sel.Name == "Get" && typeArg != nil && len(call.Args) == 2:
				if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "params" {
					return true
				}
				reads++
				var name string
				switch a := call.Args[1].(type) {
				case *ast.Ident:
					name = names[a.Name]
				case *ast.SelectorExpr:
					name = names[a.Sel.Name]
				case *ast.BasicLit:
					name, _ = strconv.Unquote(a.Value)
				}
				p, ok := params.Lookup(name)
				if !ok {
					t.Errorf("%s: params.Get of %q, which no package declares", pos, name)
					return true
				}
				want := map[string]string{"int": "int", "float64": "float64", "bool": "bool", "string": "string"}
				got := ""
				if id, ok := typeArg.(*ast.Ident); ok {
					got = id.Name
				}
				if declared := typeName(p.Default); want[got] != declared {
					t.Errorf("%s: params.Get[%s] of %q, declared as %s", pos, got, name, declared)
				}
			}
			return true
		})
	}
	if reads < 50 {
		t.Errorf("found %d params.Get reads in the sources; want the code base's (about 100): is the walk reading them?", reads)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case int:
		return "int"
	case float64:
		return "float64"
	case bool:
		return "bool"
	case string:
		return "string"
	}
	return "?"
}

// parseSources parses every non-test Go file of the repository.
func parseSources(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fset, files
}
