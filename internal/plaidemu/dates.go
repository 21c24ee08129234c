package plaidemu

import "time"

// day is a calendar date counted in days since 1970-01-01. Plaid's
// transaction dates are calendar dates without a zone.
type day int32

func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d day) time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d day) String() string { return d.time().Format(time.DateOnly) }

func (d day) weekday() time.Weekday { return d.time().Weekday() }

func (d day) dayOfMonth() int { return d.time().Day() }

func parseDay(s string) (day, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return dayOf(t), true
}

// rfc3339 formats an emulated time the way Plaid does.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
