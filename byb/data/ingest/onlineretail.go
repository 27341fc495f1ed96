package ingest

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// The UCI Online Retail log (../shared/data/online-retail/README.md): one transaction line
// per row,
//
//	InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
//
// Each line with a CustomerID is one behavior with three IDs: item (StockCode), action
// (purchase, or cancel when InvoiceNo starts with C) and quantity, the log2 bucket of
// |Quantity| ("0" for 0, "k" for 2^(k-1) ≤ |Quantity| < 2^k), so that 1, 2-3, 4-7, 12 and
// 100 units are different behaviors without an ID per quantity. Lines without a CustomerID
// (NA or empty; TestImportOnlineRetailReal checks how many) cannot belong to a user: they are
// skipped by design and counted, not errors.
//
// The default task is the README's churn: among customers active before 2011-09-01, 1 when
// they make no purchase from 2011-09-01 to the end of the log (2011-12-09); cancellations do
// not count as activity (rule none_of on the action field). The log ends on
// 2011-12-09, so a 100-day label window placed by data.DefaultSplits starts exactly on
// 2011-09-01. The log covers one year, too short for two successive windows, so finetune and
// test share that window and split the users (30% to test).
const (
	onlineRetailChurnDays = 100
	onlineRetailTestUsers = 0.3
)

func init() {
	registerFormat(&formatSpec{
		name: FormatOnlineRetail, delim: ',', timeFormat: TimeDateTime,
		pretrainDays: allDays, obsDays: allDays, testUsers: onlineRetailTestUsers,
		tasks: []string{fmt.Sprintf("churn=none_of:action:purchase:%d", onlineRetailChurnDays)},
		bind:  bindOnlineRetail,
	})
}

func bindOnlineRetail(header []string, o *Options, file string) (*mapping, error) {
	col := func(name, flag string) (int, error) { return findColumn(header, name, flag, file) }
	user, err := col(or(o.UserCol, "CustomerID"), "--user-col")
	if err != nil {
		return nil, err
	}
	tm, err := col(or(o.TimeCol, "InvoiceDate"), "--time-col")
	if err != nil {
		return nil, err
	}
	if len(o.IDCols) > 0 { // explicit ID columns: a plain column mapping, no derived IDs
		m, err := bindColumns(header, columnsSpec{user: header[user], time: header[tm], ids: o.IDCols}, file)
		if err != nil {
			return nil, err
		}
		m.skip, m.skipWhy = noCustomer(user), "lines without a CustomerID"
		return m, nil
	}
	item, err := col("StockCode", "--id-cols")
	if err != nil {
		return nil, err
	}
	invoice, err := col("InvoiceNo", "--id-cols")
	if err != nil {
		return nil, err
	}
	qty, err := col("Quantity", "--id-cols")
	if err != nil {
		return nil, err
	}
	m := &mapping{
		fields: []string{"item", "action", "quantity"},
		user:   user, time: tm,
		need: max(user, tm, item, invoice, qty) + 1,
		skip: noCustomer(user), skipWhy: "lines without a CustomerID",
	}
	m.values = func(rec, out []string) error {
		out[0] = rec[item]
		out[1] = "purchase"
		if strings.HasPrefix(rec[invoice], "C") {
			out[1] = "cancel"
		}
		q, err := strconv.ParseInt(strings.TrimSpace(rec[qty]), 10, 64)
		if err != nil {
			return fmt.Errorf("Quantity %q is not a whole number", rec[qty])
		}
		if q < 0 {
			q = -q
		}
		out[2] = quantityBuckets[min(bits.Len64(uint64(q)), len(quantityBuckets)-1)]
		return nil
	}
	return m, nil
}

// quantityBuckets are the bucket names, precomputed so that a row allocates no string.
var quantityBuckets = func() []string {
	out := make([]string, 65)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}()

// noCustomer recognises a missing CustomerID: empty, or R's NA (the CSV was written by R).
func noCustomer(user int) func([]string) bool {
	return func(rec []string) bool {
		c := strings.TrimSpace(rec[user])
		return c == "" || c == "NA"
	}
}
