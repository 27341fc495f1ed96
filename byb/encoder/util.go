package encoder

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX convention
)

// panicf is how graph-building code reports errors, as in GoMLX: the Exec that builds the
// graph turns the panic into an error.
func panicf(format string, args ...any) { panic(fmt.Errorf(format, args...)) }

// toRank prepends axes of size 1 to x until it has the given rank: GoMLX broadcasts binary
// operands only between equal ranks.
func toRank(x *Node, rank int) *Node {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
	}
	copy(dims[rank-x.Rank():], x.Shape().Dimensions)
	return Reshape(x, dims...)
}
