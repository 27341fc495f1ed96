package tracking

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// demoRowsPerInsert stays under SQLite's limit of 32766 bound parameters.
const demoRowsPerInsert = 1000

// FillDemo records n plausible finished runs of pointsPerRun training-loss points each, with
// the params byb commands log (method, data, task, seed, scale and the BYB ablation knobs) and
// final test metrics. It exists for trying the TUI without training anything, for the tests
// and for the benchmark; it writes in large transactions, bypassing StartRun's batching.
func FillDemo(s *Store, n, pointsPerRun int, seed int64) ([]string, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	methods := []string{"byb", "nbp", "mbmv1", "cts", "msdp"}
	tasks := []string{"churn", "risk"}
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	var ids []string
	for i := 0; i < n; i++ {
		method := methods[i%len(methods)]
		task := tasks[(i/len(methods))%len(tasks)]
		sd := int64((i / (len(methods) * len(tasks))) % 3)
		ema := []string{"on", "off"}[(i/30)%2]
		exp := "table2"
		if i%7 == 6 {
			exp = "ablation"
		}
		params := map[string]string{"method": method, "data": "/data/tmall-like", "task": task,
			"seed": strconv.FormatInt(sd, 10), "scale": "ci", "ema": ema, "loss": "ce", "predictor": "on", "dt2": "1"}
		id, err := newID()
		if err != nil {
			return nil, err
		}
		t0 := start.Add(time.Duration(i) * time.Minute).UnixMilli()
		t1 := t0 + int64(pointsPerRun)*10
		status := StatusFinished
		reason := ""
		if i%17 == 16 {
			status, reason = StatusFailed, "loss is NaN at step 812"
		}
		tx, err := s.db.Begin()
		if err != nil {
			return nil, err
		}
		expID, err := experimentID(tx, exp, t0)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		res, err := tx.Exec(`INSERT INTO runs (id, name, experiment_id, status, start_ms, end_ms, engine, git_commit, seed,
			dir, command, heartbeat_ms, heartbeat_interval_ms, end_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			id, fmt.Sprintf("%s-%s-s%d", method, task, sd), expID, status, t0, t1, "go", "0123abcd", sd,
			"/runs/"+id, "byb demo", t1, 5000, reason)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		rid, _ := res.LastInsertId()
		if err := upsertKV(tx, "params", rid, params); err != nil {
			tx.Rollback()
			return nil, err
		}
		quality := 0.02*float64(len(methods)-i%len(methods)) + 0.01*float64(1-(i/30)%2)
		loss := 0.0
		// Many rows per INSERT: one cgo call per row would make the benchmark's 10 million
		// points take minutes to generate.
		batch := make([]any, 0, 5*demoRowsPerInsert)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			n := len(batch) / 5
			q := "INSERT INTO metrics(rid, key, step, value, ts_ms) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?),", n), ",")
			_, err := tx.Exec(q, batch...)
			batch = batch[:0]
			return err
		}
		for p := 0; p < pointsPerRun; p++ {
			loss = 2.5*math.Exp(-float64(p)/float64(pointsPerRun/4+1)) + 0.3 - quality + 0.05*rng.NormFloat64()
			batch = append(batch, rid, "train/loss", p, loss, t0+int64(p)*10)
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					tx.Rollback()
					return nil, err
				}
			}
		}
		if err := flush(); err != nil {
			tx.Rollback()
			return nil, err
		}
		final := map[string]float64{
			"train/loss": loss,
			"test/auroc": 0.62 + quality + 0.01*rng.NormFloat64(),
			"test/ks":    0.2 + quality + 0.01*rng.NormFloat64(),
		}
		for k, v := range final {
			if k != "train/loss" {
				if _, err := tx.Exec(`INSERT INTO metrics(rid, key, step, value, ts_ms) VALUES (?,?,?,?,?)`, rid, k, pointsPerRun, v, t1); err != nil {
					tx.Rollback()
					return nil, err
				}
			}
			step := int64(pointsPerRun)
			if k == "train/loss" {
				step = int64(pointsPerRun - 1)
			}
			if _, err := tx.Exec(`INSERT INTO latest_metrics(rid, key, step, value, ts_ms) VALUES (?,?,?,?,?)`, rid, k, step, v, t1); err != nil {
				tx.Rollback()
				return nil, err
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}
