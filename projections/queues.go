package projections

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/btree"
	"github.com/google/uuid"

	"phananh/domain"
)

// Queue limits.
const (
	// DefaultQueueLimit is the page size when a query names none.
	DefaultQueueLimit = 50
	// MaxQueueLimit is the largest page a query may ask for.
	MaxQueueLimit = 200
	// MaxQueueQuery is the longest search text, in characters.
	MaxQueueQuery = 200
	// searchDescriptionRunes bounds how much of a description each case
	// keeps for search, so a unit's memory grows with its number of cases,
	// not with what citizens paste into the form.
	searchDescriptionRunes = 2000
)

// QueueItem is one case as a unit's work list shows it.
type QueueItem struct {
	ID       uuid.UUID       `json:"id"`
	Title    string          `json:"title"`
	Status   domain.Status   `json:"status"`
	Kind     domain.Kind     `json:"kind"`
	Category domain.Category `json:"category"`
	Commune  string          `json:"commune"`
	Deadline time.Time       `json:"deadline,omitzero"` // no clock runs on a rejected case
	// Overdue is computed when the list is asked for, from the deadline.
	Overdue    bool      `json:"overdue"`
	Assignee   string    `json:"assignee"`
	Version    uint64    `json:"version"`
	ReceivedAt time.Time `json:"received_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// QueueQuery selects, orders and pages a unit's queue. Zero fields do not
// filter. Every filter given must hold (AND).
type QueueQuery struct {
	// Unit is the unit whose queue is listed; empty lists every unit's.
	Unit     string
	Statuses []domain.Status // any of these
	// Open, when set, keeps only cases that are still being handled (true:
	// not resolved, closed or rejected) or only those that are not (false).
	Open *bool
	Kind domain.Kind
	// Category is a category ("land.boundary") or a group of them ("land"
	// or "land.*").
	Category domain.Category
	Commune  string
	Assignee string
	Overdue  *bool
	// Q is searched for in the title and the start of the description,
	// ignoring case and Vietnamese diacritics; every word must occur.
	Q string
	// Sort is "deadline" (the default; cases without a deadline last),
	// "received" or "updated", with a leading "-" for descending order.
	// Ties are broken by case id.
	Sort string
	// Cursor is the next token of the previous page, for the same Sort.
	Cursor string
	// Limit is the page size: DefaultQueueLimit if zero, at most MaxQueueLimit.
	Limit int
}

// queueEntry is what the model keeps of one case.
type queueEntry struct {
	c         caseCore
	search    string // FoldVietnamese(title + " " + start of description)
	bigrams   bigramSet
	updatedAt stamp
}

// Queues is the unit queues read model: every case listed under the unit
// that currently handles it, in every status (a transfer or an escalation
// moves it to the new unit's queue).
//
// Each unit's cases are kept in a B-tree in the default order (deadline,
// then id): an event that adds, removes or moves a case costs O(log unit)
// under the write lock, wherever its deadline falls (a new report is due
// before the cases already accepted, so it lands mid-queue:
// BenchmarkQueuesReportMidUnit). A page of one unit in that order seeks the
// cursor and walks from it, either way, stopping after limit matches:
// O(log unit + limit) when most cases match, O(unit) for a filter or
// search that few match. Other orders, and queries over every unit, scan
// the cases: O(n) plus O(n log limit) to keep the page (a few milliseconds
// for a unit of 20,000 cases, BenchmarkQueuesList). Each case costs its
// core (caseCore), its folded search text (at most
// searchDescriptionRunes of description), a 64-byte filter of that text
// and its slot in the tree: a pointer in nodes half to fully used (cases
// added in key order leave them half used), some 6 bytes live per case
// more than the sorted slice it replaced, and 15 to 20 of heap in use
// (BenchmarkHeapPerCase).
type Queues struct {
	mu      sync.RWMutex
	cases   map[uuid.UUID]*queueEntry
	byUnit  map[string]*queueTree // never empty
	free    *btree.FreeListG[*queueEntry]
	syms    *coreSymbols
	lastSeq uint64
}

// queueTree is one unit's cases in byDeadline order.
type queueTree = btree.BTreeG[*queueEntry]

// queueTreeDegree is the degree of the unit trees: a node holds up to
// 2×degree−1 = 255 cases. Wide nodes keep the tree shallow (two levels
// for 25,000 cases) and its overhead per case near the pointer it stores
// (degree 32 kept 3 bytes more per case, no faster); a change within a
// node moves at most 2 KiB of pointers.
const queueTreeDegree = 128

// newQueueTree returns an empty unit tree whose nodes come from, and
// return to, free.
func newQueueTree(free *btree.FreeListG[*queueEntry]) *queueTree {
	return btree.NewWithFreeListG(queueTreeDegree, lessEntries, free)
}

// byDeadline is the default order of a queue: deadline, cases without one
// last, then id.
var byDeadline = queueOrder{name: "deadline", field: "deadline"}

// lessEntries orders a unit's cases in byDeadline order: it is
// byDeadline.compare(keyOf(a), keyOf(b)) < 0 written out, as the trees
// call it some twenty times per change.
func lessEntries(a, b *queueEntry) bool {
	if az, bz := a.c.Deadline.IsZero(), b.c.Deadline.IsZero(); az != bz {
		return bz
	}
	if c := a.c.Deadline.Compare(b.c.Deadline); c != 0 {
		return c < 0
	}
	return bytes.Compare(a.c.ID[:], b.c.ID[:]) < 0
}

// keyEntry is an entry that stands for a key in a unit's tree, to seek
// it: it holds only what lessEntries reads.
func keyEntry(deadline stamp, id uuid.UUID) *queueEntry {
	return &queueEntry{c: caseCore{ID: id, Deadline: deadline}}
}

// QueuesSnapshotVersion is the version of the unit queues' snapshot
// (snapshot_queues.go). Bump it whenever the state the model keeps changes:
// a field of queueEntry or caseCore added, removed or retyped, or Apply
// or searchText filling them differently (a longer searchDescriptionRunes
// included). A snapshot of another version is discarded and the model
// rebuilt from the log. TestSnapshotVersionsFollowStateShapes catches a
// changed struct that kept its version.
const QueuesSnapshotVersion = 8 // 8: domain.Case gained Denounced (the fields of 3); 3: the unit lists became B-trees (the bytes are those of 2); 4: domain.Case's flags moved (the fields of 3); 5: the core's strings by number (the fields of 3); 6: the core's times as stamps (the fields of 3); 7: unnamed zones numbered by offset (the fields of 3)

// NewQueues returns an empty unit queues model.
func NewQueues() *Queues {
	return &Queues{cases: make(map[uuid.UUID]*queueEntry), byUnit: make(map[string]*queueTree),
		free: btree.NewFreeListG[*queueEntry](btree.DefaultFreeListSize), syms: newCoreSymbols()}
}

// LastSeq implements ReadModel.
func (q *Queues) LastSeq() uint64 {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.lastSeq
}

// Len returns how many cases the model holds, in all units.
func (q *Queues) Len() int {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return len(q.cases)
}

// Apply implements ReadModel. An event at or below the last applied
// sequence is ignored, so replaying an overlap (a snapshot plus the log
// after it) is harmless.
func (q *Queues) Apply(e domain.Envelope) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.Seq != 0 {
		if e.Seq <= q.lastSeq {
			return
		}
		q.lastSeq = e.Seq
	}
	ent := q.cases[e.CaseID]
	if ent == nil {
		r, ok := e.Event.(domain.Reported)
		if !ok {
			return // an event of a case we never saw opened: nothing to attach it to
		}
		ent = &queueEntry{search: searchText(r.Title, r.Description)}
		ent.bigrams = bigramsOf(ent.search)
		ent.c = q.syms.core(ent.c, domain.Evolve(q.syms.full(ent.c), e))
		ent.updatedAt = q.syms.stamp(e.Time)
		q.cases[e.CaseID] = ent
		q.add(ent)
		return
	}
	c := q.syms.core(ent.c, domain.Evolve(q.syms.full(ent.c), e))
	ent.updatedAt = q.syms.stamp(e.Time)
	if c.unit == ent.c.unit && c.Deadline.Equal(ent.c.Deadline) {
		ent.c = c
		return
	}
	q.remove(ent) // found by its key as it was
	ent.c = c
	q.add(ent)
}

// add inserts a case in its unit's tree.
func (q *Queues) add(ent *queueEntry) {
	unit := q.syms.str(ent.c.unit)
	tree := q.byUnit[unit]
	if tree == nil {
		tree = newQueueTree(q.free)
		q.byUnit[unit] = tree
	}
	if _, replaced := tree.ReplaceOrInsert(ent); replaced {
		panic("projections: two queue entries with one key") // a broken invariant, not bad input
	}
}

// remove takes a case out of its unit's tree; its unit and deadline must
// be those it was added with.
func (q *Queues) remove(ent *queueEntry) {
	unit := q.syms.str(ent.c.unit)
	tree := q.byUnit[unit]
	if tree == nil {
		panic("projections: queue entry of a unit that holds none") // a broken invariant, not bad input
	}
	if got, ok := tree.Delete(ent); !ok || got != ent {
		panic("projections: queue entry not where its key says") // a broken invariant, not bad input
	}
	if tree.Len() == 0 {
		delete(q.byUnit, unit)
	}
}

// searchText is what Q is matched against: the title and the first
// searchDescriptionRunes characters of the description, folded.
func searchText(title, description string) string {
	n := 0
	for i := range description {
		if n == searchDescriptionRunes {
			description = description[:i]
			break
		}
		n++
	}
	return FoldVietnamese(title + " " + description)
}

// Units returns, for every unit that holds a case, how many of its cases
// are open (not resolved, closed or rejected).
func (q *Queues) Units() map[string]int {
	q.mu.RLock()
	defer q.mu.RUnlock()
	out := make(map[string]int, len(q.byUnit))
	for unit, tree := range q.byUnit {
		n := 0
		tree.Ascend(func(ent *queueEntry) bool {
			if isOpen(domain.Status(q.syms.str(ent.c.status))) {
				n++
			}
			return true
		})
		out[unit] = n
	}
	return out
}

func isOpen(s domain.Status) bool { return s.Open311() == "open" }

// List returns one page of cases matching query, in its order, and the
// cursor of the next page ("" after the last). Overdue is judged at now.
//
// Pages are keyset pages: the cursor holds the sort key and id of the last
// item returned, and the next page starts strictly after it. A case whose
// sort key does not change between two pages therefore appears exactly once
// however the rest of the queue moves; one whose key changes (a deadline
// extended while paging by deadline) may move across the cursor.
//
// It returns EINVALID (field "limit", "sort", "cursor" or "status"),
// EInvalidKind, EInvalidCategory or ETooLong (field "q") for a query that is
// malformed whatever the model holds.
func (q *Queues) List(query QueueQuery, now time.Time) (items []QueueItem, next string, err error) {
	f, err := compileQueueQuery(query)
	if err != nil {
		return nil, "", err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	f.syms = q.syms
	if query.Unit != "" && f.order.field == "deadline" {
		return f.walk(q.byUnit[query.Unit], now)
	}
	top := topK{k: f.limit + 1, order: f.order}
	consider := func(ent *queueEntry) bool {
		if !f.match(ent, now) {
			return true
		}
		k := f.order.keyOf(ent)
		if f.after != nil && f.order.compare(k, *f.after) <= 0 {
			return true
		}
		top.push(k)
		return true
	}
	if query.Unit != "" {
		if tree := q.byUnit[query.Unit]; tree != nil {
			tree.Ascend(consider)
		}
	} else {
		for _, tree := range q.byUnit {
			tree.Ascend(consider)
		}
	}

	page := top.sorted()
	if len(page) > f.limit {
		page = page[:f.limit]
		next = f.order.cursor(page[len(page)-1])
	}
	items = make([]QueueItem, len(page))
	for i, k := range page {
		items[i] = k.ent.item(q.syms, now)
	}
	return items, next, nil
}

// walk pages a unit's tree (kept in byDeadline order; nil for a unit that
// holds no case) by deadline, either way: from just after the cursor, the
// first limit cases that match, and one more to know whether there is a
// next page.
func (f *queueFilter) walk(tree *queueTree, now time.Time) (items []QueueItem, next string, err error) {
	if tree == nil {
		return make([]QueueItem, 0), "", nil
	}
	items = make([]QueueItem, 0, min(f.limit, tree.Len()))
	var last *queueEntry
	full := false
	// take offers the next case in the page's order; it returns false, to
	// stop the walk, once the page is full.
	take := func(ent *queueEntry) bool {
		if !f.match(ent, now) {
			return true
		}
		if len(items) == f.limit {
			next = f.order.cursor(f.order.keyOf(last))
			full = true
			return false
		}
		items = append(items, ent.item(f.syms, now))
		last = ent
		return true
	}
	// after returns take, skipping the case at key itself (the walks start
	// at the cursor's key inclusive; the page starts strictly after it).
	after := func(key *queueEntry) func(*queueEntry) bool {
		return func(ent *queueEntry) bool {
			if !lessEntries(key, ent) {
				return true
			}
			return take(ent)
		}
	}
	// undated stands for the first key of the cases without a deadline,
	// which come after every dated case.
	undated := keyEntry(stamp{}, uuid.Nil)
	if !f.order.desc {
		if f.after == nil {
			tree.Ascend(take)
		} else {
			from := keyEntry(f.after.t, f.after.id)
			tree.AscendGreaterOrEqual(from, after(from))
		}
		return items, next, nil
	}

	// Descending: deadlines from the latest, ties by id ascending, cases
	// without a deadline last (in id order). Each run of one deadline is
	// visited forward, the runs backwards. below is the key the dated
	// cases still to visit come before.
	below := undated
	if k := f.after; k != nil {
		from := keyEntry(k.t, k.id)
		if k.t.IsZero() {
			tree.AscendGreaterOrEqual(from, after(from)) // only undated cases are left
			return items, next, nil
		}
		// The rest of the cursor's run, then the earlier deadlines.
		takeAfter := after(from)
		tree.AscendGreaterOrEqual(from, func(ent *queueEntry) bool {
			return ent.c.Deadline.Equal(k.t) && takeAfter(ent)
		})
		if full {
			return items, next, nil
		}
		below = keyEntry(k.t, uuid.Nil)
	}
	// The walk descends from below, holding the current run until it
	// meets the next (earlier) deadline, then visits it forward. A run
	// longer than a page (many cases due at one instant) is not held whole:
	// the walk seeks its start and visits it forward from there, so a page
	// costs O(log n + limit) however the deadlines tie.
	maxRun := f.limit + 1
	run := make([]*queueEntry, 0, min(maxRun, tree.Len()))
	visitRun := func() bool {
		for i := len(run) - 1; i >= 0; i-- {
			if !take(run[i]) {
				return false
			}
		}
		run = run[:0]
		return true
	}
	for {
		var long *queueEntry // a case of a run too long to hold, when one stopped the descent
		tree.DescendLessOrEqual(below, func(ent *queueEntry) bool {
			if !lessEntries(ent, below) {
				return true
			}
			if len(run) > 0 && !ent.c.Deadline.Equal(run[0].c.Deadline) && !visitRun() {
				return false
			}
			if len(run) == maxRun {
				long = ent
				return false
			}
			run = append(run, ent)
			return true
		})
		if full {
			return items, next, nil
		}
		if long == nil {
			if !visitRun() { // the earliest deadline's run
				return items, next, nil
			}
			break
		}
		t, end := long.c.Deadline, below
		start := keyEntry(t, uuid.Nil)
		run = run[:0]
		tree.AscendGreaterOrEqual(start, func(ent *queueEntry) bool {
			return ent.c.Deadline.Equal(t) && lessEntries(ent, end) && take(ent)
		})
		if full {
			return items, next, nil
		}
		below = start
	}
	tree.AscendGreaterOrEqual(undated, take)
	return items, next, nil
}

func (ent *queueEntry) item(ss *coreSymbols, now time.Time) QueueItem {
	c := ss.full(ent.c)
	return QueueItem{
		ID: c.ID, Title: c.Title, Status: c.Status, Kind: c.Kind, Category: c.Category,
		Commune: c.Location.Commune, Deadline: c.Deadline, Overdue: c.Overdue(now),
		Assignee: c.Assignee, Version: c.Version, ReceivedAt: c.ReceivedAt, UpdatedAt: ss.time(ent.updatedAt),
	}
}

// queueFilter is a validated QueueQuery.
type queueFilter struct {
	statuses      []domain.Status
	open, overdue *bool
	kind          domain.Kind
	category      domain.Category // exact
	group         string          // or a group
	commune       string
	assignee      string
	words         []string
	wordBigrams   bigramSet // every byte pair of every word
	order         queueOrder
	after         *sortKey // from the cursor
	limit         int
	syms          *coreSymbols // the model's, read under its lock
}

func compileQueueQuery(query QueueQuery) (queueFilter, error) {
	f := queueFilter{
		open: query.Open, overdue: query.Overdue, kind: query.Kind,
		commune: query.Commune, assignee: query.Assignee, limit: query.Limit,
	}
	switch {
	case f.limit == 0:
		f.limit = DefaultQueueLimit
	case f.limit < 0 || f.limit > MaxQueueLimit:
		return f, domain.FieldErrorf(domain.EINVALID, "limit", "limit must be between 1 and %d", MaxQueueLimit)
	}
	var ok bool
	if f.order, ok = parseQueueOrder(query.Sort); !ok {
		return f, domain.FieldErrorf(domain.EINVALID, "sort",
			"sort must be deadline, received or updated, optionally prefixed with -")
	}
	if query.Cursor != "" {
		k, err := f.order.parseCursor(query.Cursor)
		if err != nil {
			return f, err
		}
		f.after = &k
	}
	for _, s := range query.Statuses {
		if s == domain.StatusNew || !slices.Contains(domain.Statuses(), s) {
			return f, domain.FieldErrorf(domain.EINVALID, "status", "unknown status %q", s)
		}
		// Each once: every case is matched against the list, and a query
		// naming one status thousands of times would be that much slower.
		if !slices.Contains(f.statuses, s) {
			f.statuses = append(f.statuses, s)
		}
	}
	if f.kind != "" && !f.kind.Valid() {
		return f, domain.FieldErrorf(domain.EInvalidKind, "kind", "unknown kind %q", f.kind)
	}
	if c := query.Category; c != "" {
		group, rest, dotted := strings.Cut(string(c), ".")
		switch {
		case !dotted || rest == "*":
			if !knownGroup(group) {
				return f, domain.FieldErrorf(domain.EInvalidCategory, "category", "unknown category group %q", group)
			}
			f.group = group
		default:
			if _, ok := domain.LookupCategory(c); !ok {
				return f, domain.FieldErrorf(domain.EInvalidCategory, "category", "unknown category %q", c)
			}
			f.category = c
		}
	}
	if n := utf8.RuneCountInString(query.Q); n > MaxQueueQuery {
		return f, domain.FieldErrorf(domain.ETooLong, "q", "q has %d characters, at most %d are allowed", n, MaxQueueQuery)
	}
	f.words = strings.Fields(FoldVietnamese(query.Q))
	for _, w := range f.words {
		f.wordBigrams.union(bigramsOf(w))
	}
	return f, nil
}

func knownGroup(group string) bool {
	for _, info := range domain.Categories() {
		if info.Code.Group() == group {
			return true
		}
	}
	return false
}

// match reports whether a case passes every filter, cheapest first.
func (f *queueFilter) match(ent *queueEntry, now time.Time) bool {
	c, str := &ent.c, f.syms.str
	status := domain.Status(str(c.status))
	switch {
	case f.kind != "" && str(c.kind) != string(f.kind),
		f.category != "" && str(c.category) != string(f.category),
		f.group != "" && domain.Category(str(c.category)).Group() != f.group,
		f.commune != "" && str(c.commune) != f.commune,
		f.assignee != "" && str(c.assignee) != f.assignee,
		len(f.statuses) > 0 && !slices.Contains(f.statuses, status),
		f.open != nil && isOpen(status) != *f.open,
		f.overdue != nil && f.syms.overdue(*c, now) != *f.overdue:
		return false
	}
	if !ent.bigrams.contains(f.wordBigrams) {
		return false // some pair of letters of the search is nowhere in the text
	}
	for _, w := range f.words {
		if !strings.Contains(ent.search, w) {
			return false
		}
	}
	return true
}

// bigramSet is a 512-bit Bloom filter of the byte pairs in a text. A word
// can only occur in a text that holds every pair of adjacent bytes of the
// word, so comparing the sets (a few instructions) skips most of the
// substring scans of a search. Texts and words are folded the same way
// before their pairs are taken.
type bigramSet [8]uint64

func bigramsOf(s string) (set bigramSet) {
	for i := 0; i+1 < len(s); i++ {
		h := (uint32(s[i])<<8 | uint32(s[i+1])) * 0x9E3779B1 >> 23 // 9 bits
		set[h>>6] |= 1 << (h & 63)
	}
	return set
}

func (s *bigramSet) union(t bigramSet) {
	for i := range s {
		s[i] |= t[i]
	}
}

// contains reports whether every pair in t is (probably) in s.
func (s *bigramSet) contains(t bigramSet) bool {
	for i := range s {
		if s[i]&t[i] != t[i] {
			return false
		}
	}
	return true
}

// queueOrder is a parsed Sort.
type queueOrder struct {
	name  string // as the query spelled it, "deadline" when empty
	field string // deadline, received or updated
	desc  bool
}

func parseQueueOrder(s string) (queueOrder, bool) {
	if s == "" {
		s = "deadline"
	}
	field, desc := strings.CutPrefix(s, "-")
	switch field {
	case "deadline", "received", "updated":
		return queueOrder{name: s, field: field, desc: desc}, true
	}
	return queueOrder{}, false
}

// sortKey is where a case stands in an order: its time for the order's
// field, and its id to break ties.
type sortKey struct {
	t   stamp // zone 0: only compared, and written to cursors in UTC
	id  uuid.UUID
	ent *queueEntry // nil for a key read from a cursor
}

func (o queueOrder) keyOf(ent *queueEntry) sortKey {
	k := sortKey{id: ent.c.ID, ent: ent}
	switch o.field {
	case "deadline":
		k.t = ent.c.Deadline
	case "received":
		k.t = ent.c.Received
	case "updated":
		k.t = ent.updatedAt
	}
	return k
}

// compare orders keys: zero times last in either direction, then by time,
// then by id ascending.
func (o queueOrder) compare(a, b sortKey) int {
	if az, bz := a.t.IsZero(), b.t.IsZero(); az != bz {
		if az {
			return 1
		}
		return -1
	}
	if c := a.t.Compare(b.t); c != 0 {
		if o.desc {
			return -c
		}
		return c
	}
	return bytes.Compare(a.id[:], b.id[:])
}

// cursorVersion starts every cursor, so the format can change without old
// tokens being misread.
const cursorVersion = "q1"

// cursor encodes k as an opaque token: version, sort name, time (empty when
// zero) and id, base64url without padding.
func (o queueOrder) cursor(k sortKey) string {
	t := ""
	if !k.t.IsZero() {
		t = k.t.utc().Format(time.RFC3339Nano)
	}
	raw := cursorVersion + "|" + o.name + "|" + t + "|" + k.id.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func (o queueOrder) parseCursor(token string) (sortKey, error) {
	invalid := func(why string) (sortKey, error) {
		return sortKey{}, domain.FieldErrorf(domain.EINVALID, "cursor", "cursor %s", why)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return invalid("is not a token this server issued")
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != cursorVersion {
		return invalid("is not a token this server issued")
	}
	if parts[1] != o.name {
		return invalid("was issued for sort " + parts[1] + ", not " + o.name)
	}
	var k sortKey
	if parts[2] != "" {
		t, err := time.Parse(time.RFC3339Nano, parts[2])
		if err != nil || t.IsZero() {
			return invalid("holds an invalid time")
		}
		k.t = instant(t)
	}
	if k.id, err = uuid.Parse(parts[3]); err != nil || len(parts[3]) != 36 {
		return invalid("holds an invalid id")
	}
	return k, nil
}

// topK keeps the k smallest keys pushed, in a max-heap, so a page costs
// O(n log k) rather than sorting the whole queue.
type topK struct {
	k     int
	order queueOrder
	heap  []sortKey
}

func (h *topK) push(x sortKey) {
	if len(h.heap) < h.k {
		h.heap = append(h.heap, x)
		h.up(len(h.heap) - 1)
		return
	}
	if h.order.compare(x, h.heap[0]) >= 0 {
		return
	}
	h.heap[0] = x
	h.down(0)
}

func (h *topK) less(i, j int) bool { return h.order.compare(h.heap[i], h.heap[j]) > 0 } // max-heap

func (h *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.heap[i], h.heap[p] = h.heap[p], h.heap[i]
		i = p
	}
}

func (h *topK) down(i int) {
	n := len(h.heap)
	for {
		m, l, r := i, 2*i+1, 2*i+2
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h.heap[i], h.heap[m] = h.heap[m], h.heap[i]
		i = m
	}
}

// sorted returns the kept keys in order.
func (h *topK) sorted() []sortKey {
	slices.SortFunc(h.heap, h.order.compare)
	return h.heap
}
