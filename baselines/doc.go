// Package baselines holds the paper's pretraining baselines (section 5.1.2), each on byb's
// shared encoder and the same size as BYB, one file per method, each registering itself with
// objective.Register. Import it through package methods, which also names every method.
//
// Per method: the paper's description, the source followed, and every choice made where the
// paper is silent (each such choice is a hyper-parameter recorded with the run).
package baselines
