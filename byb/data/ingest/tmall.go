package ingest

// The Tmall IJCAI-15 repeat-buyers log, user_log_format1.csv:
//
//	user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type
//
// time_stamp is MMDD without a year (the log covers May to November; Options.BaseYear,
// default 2014, supplies it: the paper calls its windows 2013, which changes nothing but the
// dates printed). action_type is 0 click, 1 add-to-cart, 2 purchase, 3 add-to-favourite.
// Every behavior has five IDs: item, category, seller, brand (sometimes empty) and action.
//
// Defaults follow the paper (Appendix A): a 120-day pretraining span and 60-day observation
// windows for finetune and test, and the four tasks "most interacted category in the next
// 5/10/15/30 days".
func init() {
	registerFormat(&formatSpec{
		name: FormatTmall, delim: ',', timeFormat: TimeMMDD,
		pretrainDays: 120, obsDays: 60,
		tasks: []string{
			"5-day=most_frequent:category:5", "10-day=most_frequent:category:10",
			"15-day=most_frequent:category:15", "30-day=most_frequent:category:30",
		},
		bind: func(header []string, o *Options, file string) (*mapping, error) {
			c := columnsSpec{user: or(o.UserCol, "user_id"), time: or(o.TimeCol, "time_stamp"), ids: o.IDCols}
			if len(c.ids) == 0 {
				c.ids = []string{"item_id", "cat_id", "seller_id", "brand_id", "action_type"}
				c.names = []string{"item", "category", "seller", "brand", "action"}
			}
			return bindColumns(header, c, file)
		},
	})
}
