package tracking

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// UpstreamPrefix starts the params a run copies from the run it builds on (RunOptions.Upstream):
// a finetuning run carries "pretrain.byb_loss", "pretrain.byb_ema", ... so that downstream
// results can be grouped by an upstream switch (Ablate) without joining runs.
const UpstreamPrefix = "pretrain."

// UpstreamTag is the tag holding the ID of the run whose params were copied.
const UpstreamTag = "upstream_run"

// upstreamSkip are params not worth copying: they say how the upstream run was launched, not
// what it trained.
var upstreamSkip = map[string]bool{"command": true, "engine_plugin": true}

// recordUpstream copies the params of the run recorded in dir to run rid (see
// RunOptions.Upstream). It runs before the run's own params are written, so they win.
func recordUpstream(tx *sql.Tx, rid int64, dir string) error {
	if dir == "" {
		return nil
	}
	params, id, err := upstreamParams(tx, dir)
	if err != nil || id == "" {
		return err
	}
	if err := upsertKV(tx, "params", rid, params); err != nil {
		return err
	}
	return upsertKV(tx, "tags", rid, map[string]string{UpstreamTag: id})
}

// upstreamParams returns the params of the runs recorded with run directory dir, prefixed
// with UpstreamPrefix, and the ID of the latest. A pretraining may be recorded as several
// runs (interrupted, then resumed; finished, then reused by a rerun), and one of them may not
// have logged its trainer's params: all are read, oldest first, so that the latest value of
// each param wins. A directory no run was recorded in (a run made with --tracking off, a
// checkpoint copied from elsewhere) yields nothing and no error: the lineage is a
// convenience, never a reason to refuse a run.
func upstreamParams(tx *sql.Tx, dir string) (map[string]string, string, error) {
	forms := dirForms(dir)
	args := make([]any, len(forms))
	for i, f := range forms {
		args[i] = f
	}
	rows, err := tx.Query(`SELECT r.id, p.key, p.value FROM runs r LEFT JOIN params p ON p.rid = r.rid
		WHERE r.dir IN (`+strings.TrimSuffix(strings.Repeat("?,", len(forms)), ",")+`) ORDER BY r.start_ms, r.rid`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("tracking: the upstream runs in %s: %w", dir, err)
	}
	defer rows.Close()
	out := map[string]string{}
	var id string
	for rows.Next() {
		var k, v sql.NullString
		if err := rows.Scan(&id, &k, &v); err != nil {
			return nil, "", err
		}
		// An upstream run's own lineage is not copied: "pretrain.pretrain.x" would read as noise.
		if k.Valid && !upstreamSkip[k.String] && !strings.HasPrefix(k.String, UpstreamPrefix) {
			out[UpstreamPrefix+k.String] = v.String
		}
	}
	return out, id, rows.Err()
}

// dirForms are the spellings under which a run directory may have been recorded: commands
// store --out as typed, so "runs/p", "./runs/p/" and its absolute path name the same
// directory when typed in the same working directory.
func dirForms(dir string) []string {
	set := map[string]bool{dir: true}
	add := func(p string) {
		set[p] = true
		set[p+string(filepath.Separator)] = true
	}
	clean := filepath.Clean(dir)
	add(clean)
	if abs, err := filepath.Abs(clean); err == nil {
		add(abs)
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, abs); err == nil {
				add(rel)
				add("." + string(filepath.Separator) + rel)
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	return out
}
