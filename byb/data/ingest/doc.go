// Package ingest imports real event logs into byb datasets: generic CSV (plain or gzip),
// Parquet, the Tmall IJCAI-15 log, the UCI Online Retail file and RecBole atomic .inter
// files.
//
// Every importer reads rows into a data.Builder, chooses the paper's time windows (explicit
// YYYY-MM-DD..YYYY-MM-DD spans or data.DefaultSplits), resolves the tasks (including external
// user_id,label files read by ReadLabels) and builds the dataset directory through
// data.Writer, which writes to a temporary directory and renames it: a failed import leaves
// nothing behind.
//
// Bad input (a short row, a missing column, an unparseable time, an empty file, a label for
// an unknown user) fails with the file, the line, the offending value and what to do; with
// Options.SkipBadRows such rows are skipped and counted instead, and the count and the first
// few reasons are recorded in meta.json.
package ingest
