package data

// Batch is what a model consumes: B users' behavior sequences, each truncated to its n most
// recent behaviors inside the observation window and right-padded.
//
// Layout is row-major and flat so that it converts to GoMLX tensors without copies:
//
//	IDs    [B, n, m] int32  vocabulary index of each ID slot; 0 = no ID (padding, or a
//	                        field the behavior does not have); 1 = out-of-vocabulary
//	Window [B, n]    int32  pooling-window index of the behavior in [0, T) (ΔT1 = one day by
//	                        default, counted from the start of the observation window);
//	                        -1 marks padding
//	Users  [B]       int32  index of the user in the dataset (row of users.txt)
//	Labels [B]       int32  class index for the task being trained, -1 = no label
//
// Behaviors of a row are in time order; Window is non-decreasing over the real behaviors.
//
// A packed batch (SeqConfig.Packed, for models that pool) concatenates its rows' behaviors
// instead of padding each row to n, so that a user with 9,000 behaviors costs 9,000 slots and
// one with 10 costs 10:
//
//	IDs    [N, m] int32  the behaviors of row 0, then of row 1, ...; then padding
//	Window [N]    int32  pooling window of each behavior; -1 marks padding
//	Row    [N]    int32  the row (in [0, B)) of each behavior; -1 marks padding
//
// N (MaxLen) is the batch's behavior count rounded up to a size of PackedLen, so that the
// few sizes a run sees each compile once.
//
// A pretraining batch may also carry target-only behaviors: those of the TargetWindows
// pooling windows right after the observation window (BYB's prediction window of the last
// input position, Algorithm 1's s_2). They feed targets only, never the model's input:
//
//	TargetIDs    [B, nt, m] int32  as IDs (nt = TargetLen)
//	TargetWindow [B, nt]    int32  window index in [T, T+TargetWindows); -1 marks padding
type Batch struct {
	Size    int // B
	MaxLen  int // n
	NumIDs  int // m
	Windows int // T: number of pooling windows in the observation span

	IDs    []int32
	Window []int32
	Users  []int32
	Labels []int32

	TargetWindows int // ΔT2 windows after the observation window; 0 = no target-only behaviors
	TargetLen     int // nt
	TargetIDs     []int32
	TargetWindow  []int32

	Packed bool    // IDs, Window and Row are packed [N,...] (MaxLen = N), not padded [B,n,...]
	Row    []int32 // packed: the row of each behavior, -1 = padding
}

// Len returns the number of real (non-padding) behaviors of row b.
func (bt *Batch) Len(b int) int {
	n := 0
	if bt.Packed {
		for _, r := range bt.Row {
			if r == int32(b) {
				n++
			}
		}
		return n
	}
	for _, w := range bt.Window[b*bt.MaxLen : (b+1)*bt.MaxLen] {
		if w >= 0 {
			n++
		}
	}
	return n
}

// MaxPackedShapes is how many batch shapes a compiled step should keep (GoMLX's default is
// 32): PackedLen gives two sizes per doubling of a batch's behavior count, so even batches
// ranging from 64 to 2^37 behaviors fit.
const MaxPackedShapes = 64

// PackedLen is the behavior axis N of a packed batch holding total behaviors: the smallest of
// 64, 96, 128, 192, 256, 384, ... (2^k and 3·2^(k-1)) that holds them, so padding wastes at
// most a third and a run compiles its step for a few sizes only. Every size is a multiple of
// 32, so it splits evenly over up to 32 devices.
func PackedLen(total int) int {
	n := 64
	for n < total {
		if half := n / 2; n+half >= total {
			return n + half
		}
		n *= 2
	}
	return n
}

// ToPacked returns a padded batch as the packed batch of the same behaviors (see Batch).
func (bt *Batch) ToPacked() *Batch {
	if bt.Packed {
		return bt
	}
	total := 0
	for _, w := range bt.Window {
		if w >= 0 {
			total++
		}
	}
	p := *bt
	n, m := PackedLen(total), bt.NumIDs
	p.Packed, p.MaxLen = true, n
	p.IDs, p.Window, p.Row = make([]int32, n*m), filled(n, -1), filled(n, -1)
	k := 0
	for i, w := range bt.Window {
		if w >= 0 {
			copy(p.IDs[k*m:(k+1)*m], bt.IDs[i*m:(i+1)*m])
			p.Window[k], p.Row[k] = w, int32(i/bt.MaxLen)
			k++
		}
	}
	return &p
}
