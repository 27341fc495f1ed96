// Package data is byb's data layer: a dataset of users, each a time-ordered list of
// behaviors; a behavior is a timestamp and a tuple of m categorical IDs (paper Eq. 1).
//
// One vocabulary per ID field is built from the pretraining span, capped by a minimum count
// and a maximum size, with reserved indices for "no ID" (0) and "out of vocabulary" (1), so
// that millions of raw IDs fit in bounded embedding tables.
//
// The paper's time windows are Splits: a pretraining span, and for finetune and test an
// observation window followed by label windows. Tasks compute labels from the behaviors in
// a label window (most frequent value of a field, any behavior, any behavior with an ID in a
// set) or read them from an external user_id,label file.
//
// A dataset directory is written once (Writer streams users; Builder collects raw events in
// memory for importers) and loaded whole for training (Load), where Batch turns samples into
// the model's input layout. Sub-packages import real logs (ingest) and generate synthetic
// analogues of the paper's data sets (synth).
package data
