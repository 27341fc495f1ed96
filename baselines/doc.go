// Package baselines holds the paper's pretraining baselines (section 5.1.2), each on byb's
// shared encoder and the same size as BYB, one file per method, each registering itself with
// objective.Register and declaring its hyper-parameters in byb/params. Import it through
// package methods, which links every method into a program.
//
// As in the paper, the baselines run their sequence model over the raw behaviors (the most
// recent max_len; pool=false in their defaults), BYB and Supervised over the day-pooled
// windows; pool=true runs a baseline over the pooled sequence too. E is the encoder's output
// at the last real behavior (Eq. 5), so byb finetune --init and byb embed work for every
// method unchanged. Below, per method: the paper's description, the source followed, and
// every choice made where the paper is silent; each such choice is a parameter recorded with
// the run.
//
// # NBP
//
// The paper: "NBP predicts the next behavior during pretraining" ([38], PTUM, Wu et al. 2020).
// It follows PTUM's next-behavior task, with one softmax per ID field instead of PTUM's
// dot-product scoring against a few candidate behaviors. At each position k of the raw
// sequence (causal attention), the Transformer output h_k predicts every ID field of behavior
// k+1 with the shared ID head (encoder.IDHead). The last real behavior's target is the first
// behavior in the nbp_future_days (7) days after the observation window: that is where E is
// read, so E is trained. Padding and empty rows have no target. The loss is the sum over
// fields of each field's mean cross-entropy over its valid targets. Index 0 is never a
// target, and OOV is neither a target nor a class (it lumps every rare value together). A
// field with more than idhead_full_max (10,000) classes uses a sampled softmax:
// idhead_negatives (512) negatives per batch drawn on the host from q ∝ count^
// idhead_sample_power (1: unigram), with the −log q correction and accidental hits masked.
// causal=false is refused (position k would see the behavior it predicts). With pool=true
// window k predicts every behavior of window k+1. Diagnostics: per-field accuracy and loss,
// the share of positions with a target.
//
// # MBMv1, MBMv2
//
// Masked behavior modeling [37, 38], mask ratio 0.1 (MBMv1) and 0.2 (MBMv2): one
// implementation registered twice with mbm_mask_ratio defaulting to 0.1 and 0.2, after BERT's
// masked language model. In each sequence exactly max(1, round(ratio·L)) of its L real
// behaviors are drawn uniformly without replacement on the host (seeded per step, so a
// resumed run draws the same); their embeddings, after the behavior encoder and before the
// Transformer, are replaced by one learned mask embedding (encoder.MaskBehaviors; no
// 80/10/10 mix). The Transformer runs bidirectionally (causal=false) over the raw sequence;
// pool=true is refused, since a masked behavior would be averaged with the visible ones of
// its day. The output at each masked position predicts every ID field of the behavior that
// was there, with the ID head and rules of NBP. Finetuning and embedding see the unmasked
// sequence. Diagnostics: per-field masked-ID accuracy and loss, the share masked.
//
// # CTS
//
// Contrastive learning on user behavior sequences. The paper (after its references [13],
// Cheng et al. 2021, and [37], UserBERT) contrasts "a user's different UBS with random local
// permutation as positive pairs and different users' UBS as negative pairs", and says nothing
// more; where it is silent CTS follows SimCLR. Two views of each user's sequence are made on
// the host: the real behaviors are cut into consecutive chunks of cts_window behaviors
// (default 5, from the oldest; cts_window=0: the behaviors of one pooling window, a day) and
// each chunk is shuffled on its own. Only the IDs move, so every position keeps its window
// index, time stays monotone and padding is untouched. Both views go through the shared
// encoder in one pass, causal attention, and E through a projection head (cts_projector: mlp,
// SimCLR's Linear-ReLU-Linear, by default; linear or none). The loss is the symmetric InfoNCE
// with in-batch negatives (encoder.InfoNCE): each view against the other view of every user
// of the batch, cosine similarity (cts_normalize) at temperature cts_tau = 0.1, both
// directions averaged; users without behavior are left out. Diagnostics: the share of
// queries whose positive ranks first. With pool=true pooling hides the permutation except
// where a chunk spans two days.
//
// # MSDP
//
// Multi-scale stochastic distribution prediction (Fu et al., CIKM 2023, the paper's [15] and
// its strongest baseline: predicting "the presence of a small manually selected set of
// behaviors in a future time window"). This implementation follows that paper's abstract and
// the summary of it. From E and a learned prompt embedding of a window length W, a
// head predicts which of K = msdp_k (200) behaviors occur in the W ΔT1 windows after the
// observation window, (T, T+W]: a mean binary cross-entropy over the K presences. Each
// sample draws msdp_windows_per_sample (2) distinct W per step from msdp_scales (1, 3, 7, 14,
// 30 days; 30 keeps the future read before the tasks' label windows). A SimSiam term weighted
// by msdp_lambda (0.1) keeps E of a masked view (msdp_mask_ratio 0.15 of the behaviors, at
// least one, never all, replaced by a learned mask embedding, msdp_mask_mode=token, or
// removed, drop) close to E of the sequence: a shared two-layer predictor on each branch,
// stop-gradient on the other, negative cosine similarity, symmetrised. The paper's manual
// selection of behaviors becomes the msdp_k most frequent pretraining values of msdp_field
// (default: the field with the largest vocabulary: items, pages), or the list msdp_ids. The
// prompt enters as a per-scale vector added to the head's hidden pre-activation: a linear
// layer over [E; prompt] (width msdp_hidden, default d). Presence targets are computed on the
// host from the future behaviors the pipeline provides (objective.WholeFutureReader), up to
// target_len; above that cap from an evenly spaced subsample.
package baselines
