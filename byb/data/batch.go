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
}

// Len returns the number of real (non-padding) behaviors of row b.
func (bt *Batch) Len(b int) int {
	n := 0
	for _, w := range bt.Window[b*bt.MaxLen : (b+1)*bt.MaxLen] {
		if w >= 0 {
			n++
		}
	}
	return n
}
