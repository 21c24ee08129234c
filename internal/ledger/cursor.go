package ledger

import "fmt"

// Phase is where an item's /transactions/sync loop stands.
type Phase uint8

const (
	// Idle: no loop in progress; the next loop starts at Committed.
	Idle Phase = iota
	// Fetching: pages of a loop are staged; the next page starts at Next.
	Fetching
	// Applying: the loop's last page is staged; the staged pages are being
	// folded into the index.
	Applying
	// Reconciling: a full resync is applied; the indexed transactions it
	// did not mention are being retracted.
	Reconciling
)

func (p Phase) String() string {
	switch p {
	case Idle:
		return "idle"
	case Fetching:
		return "fetching"
	case Applying:
		return "applying"
	case Reconciling:
		return "reconciling"
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// Cursor is the sync state of one item. Its fields change only through the
// transitions below, each of which is committed together with the data it
// concerns, so a process killed at any moment resumes where it stopped.
type Cursor struct {
	Phase Phase `json:"phase"`
	// Committed is the cursor after the last loop whose pages are all applied.
	Committed string `json:"committed,omitempty"`
	// Next is the cursor of the next page of the loop in progress.
	Next string `json:"next,omitempty"`
	// Pages counts the pages staged by the loop in progress.
	Pages int `json:"pages,omitempty"`
	// Final is the cursor the staged loop ends at; it becomes Committed
	// when the loop is applied (and reconciled).
	Final string `json:"final,omitempty"`
	// Reconcile marks a loop that began from an empty cursor while the index
	// held transactions: a full resync to compare the index against.
	Reconcile bool `json:"reconcile,omitempty"`
	// Scanned is the last transaction id a reconcile has compared.
	Scanned string `json:"scanned,omitempty"`
}

// Start is the cursor the next /transactions/sync request sends.
func (c *Cursor) Start() string {
	if c.Phase == Fetching {
		return c.Next
	}
	return c.Committed
}

// staged records one more staged page. The first page of a loop that starts
// from an empty cursor over a non-empty index makes the loop a reconcile.
func (c *Cursor) staged(nextCursor string, hasMore, indexHeld bool) error {
	switch c.Phase {
	case Idle:
		c.Reconcile = c.Committed == "" && indexHeld
		c.Pages = 0
	case Fetching:
	default:
		return fmt.Errorf("staging a page while %s", c.Phase)
	}
	c.Pages++
	if hasMore {
		c.Phase, c.Next = Fetching, nextCursor
		return nil
	}
	c.Phase, c.Next, c.Final = Applying, "", nextCursor
	return nil
}

// abandoned drops the loop in progress: the next loop starts again at
// Committed.
func (c *Cursor) abandoned() {
	if c.Phase == Fetching {
		c.Phase, c.Next, c.Pages, c.Reconcile = Idle, "", 0, false
	}
}

// applied records that every staged page is in the index.
func (c *Cursor) applied() error {
	if c.Phase != Applying {
		return fmt.Errorf("finishing an apply while %s", c.Phase)
	}
	if c.Reconcile {
		c.Phase = Reconciling
		return nil
	}
	c.commit()
	return nil
}

// reconciled records that the index holds exactly what the resync said.
func (c *Cursor) reconciled() error {
	if c.Phase != Reconciling {
		return fmt.Errorf("finishing a reconcile while %s", c.Phase)
	}
	c.commit()
	return nil
}

func (c *Cursor) commit() {
	*c = Cursor{Phase: Idle, Committed: c.Final}
}

// rejected forgets a cursor Plaid refuses: the next loop is a full resync,
// reconciled against the index.
func (c *Cursor) rejected() {
	*c = Cursor{Phase: Idle}
}
