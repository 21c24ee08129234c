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

// dateRange checks the start_date and end_date of an offset-paged listing
// as Plaid does: both required, both YYYY-MM-DD, the end not before the
// start.
func dateRange(startDate, endDate *string) (start, end day, _ *apiError) {
	var missing []string
	if startDate == nil || *startDate == "" {
		missing = append(missing, "start_date")
	}
	if endDate == nil || *endDate == "" {
		missing = append(missing, "end_date")
	}
	if len(missing) > 0 {
		return 0, 0, missingFields(missing...)
	}
	start, ok1 := parseDay(*startDate)
	end, ok2 := parseDay(*endDate)
	switch {
	case !ok1:
		return 0, 0, invalidField("start_date must be a date formatted as YYYY-MM-DD, got %q", *startDate)
	case !ok2:
		return 0, 0, invalidField("end_date must be a date formatted as YYYY-MM-DD, got %q", *endDate)
	case end < start:
		return 0, 0, invalidField("end_date must not be before start_date")
	}
	return start, end, nil
}

// pageWindow checks options.count and options.offset of an offset-paged
// listing as Plaid does: count 1 to 500 (100 unset), offset not negative
// (0 unset).
func pageWindow(countOpt, offsetOpt *int) (count, offset int, _ *apiError) {
	count, offset = 100, 0
	if countOpt != nil {
		count = *countOpt
	}
	if offsetOpt != nil {
		offset = *offsetOpt
	}
	if count < 1 || count > 500 {
		return 0, 0, invalidField("options.count must be between 1 and 500, got %d", count)
	}
	if offset < 0 {
		return 0, 0, invalidField("options.offset must not be negative, got %d", offset)
	}
	return count, offset, nil
}
