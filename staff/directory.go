package staff

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"phananh/domain"
	"phananh/kvbucket"
)

// Bucket is the KV bucket of staff accounts.
const Bucket = "USERS"

// bucketHistory keeps a few past versions of each account, so an operator
// can see with the nats CLI when and how an account changed.
const bucketHistory = 5

// ErrBadCredentials is the one answer to a failed login, whether the name
// is unknown, the account disabled or the password wrong: the caller learns
// nothing about which.
var ErrBadCredentials = errors.New("staff: wrong name or password")

// Directory is the set of staff accounts. It reads and writes the USERS
// bucket and keeps an in-memory copy, fed by a watch, for Active. It is safe
// for concurrent use; Close stops the watch.
type Directory struct {
	kv   jetstream.KeyValue
	cost int
	now  func() time.Time
	log  *slog.Logger
	// dummyHash is compared against when there is no usable account, so
	// that a login for an unknown name costs as much as a real one.
	dummyHash func() []byte

	mu    sync.RWMutex
	cache map[string]cachedUser

	stop context.CancelFunc
	done chan struct{}
}

// cachedUser is an account without its hash, and the KV revision it came from.
type cachedUser struct {
	user User
	rev  uint64
}

// Option changes how Open builds a Directory.
type Option func(*Directory)

// WithCost sets the bcrypt cost of new password hashes (and of the dummy
// hash). Production uses DefaultCost; tests lower it to bcrypt.MinCost,
// because a cost-12 hash takes seconds under the race detector.
func WithCost(cost int) Option {
	return func(d *Directory) { d.cost = cost }
}

// WithClock sets the clock that stamps CreatedAt.
func WithClock(now func() time.Time) Option {
	return func(d *Directory) { d.now = now }
}

// WithLogger sets where the watch reports trouble.
func WithLogger(log *slog.Logger) Option {
	return func(d *Directory) { d.log = log }
}

// Open opens the USERS bucket and starts watching it. With replicas > 0 it
// creates the bucket or updates it to that many replicas, as every server
// replica does at start; with replicas == 0 it uses the bucket as it is,
// creating it with one replica only if it is missing, which is what an
// administrator's command line wants (it must not shrink a replicated
// bucket). Open returns once the in-memory copy holds every account.
func Open(ctx context.Context, js jetstream.JetStream, replicas int, opts ...Option) (*Directory, error) {
	if js == nil {
		return nil, errors.New("staff: open: nil JetStream")
	}
	d := &Directory{cost: DefaultCost, now: time.Now, log: slog.Default(), cache: map[string]cachedUser{}}
	for _, opt := range opts {
		opt(d)
	}
	if d.cost < bcrypt.MinCost || d.cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("staff: open: bcrypt cost %d outside %d..%d", d.cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	cost := d.cost
	d.dummyHash = sync.OnceValue(func() []byte {
		random := make([]byte, 32)
		rand.Read(random)
		hash, err := bcrypt.GenerateFromPassword(passwordInput(string(random)), cost)
		if err != nil {
			panic(fmt.Sprintf("staff: dummy hash: %v", err)) // only a bad cost fails, checked above
		}
		return hash
	})

	kv, err := openBucket(ctx, js, replicas)
	if err != nil {
		return nil, err
	}
	d.kv = kv

	watchCtx, stop := context.WithCancel(context.Background())
	d.stop, d.done = stop, make(chan struct{})
	synced := make(chan struct{})
	go d.watch(watchCtx, synced)
	select {
	case <-synced:
		return d, nil
	case <-ctx.Done():
		d.Close()
		return nil, fmt.Errorf("staff: open: waiting for the accounts: %w", ctx.Err())
	}
}

func openBucket(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	kv, err := kvbucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "phananh staff accounts",
		History:     bucketHistory,
		Storage:     jetstream.FileStorage,
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("staff: open bucket %s: %w", Bucket, err)
	}
	return kv, nil
}

// Close stops the watch. The Directory's other methods keep working, but
// Active no longer learns of changes made elsewhere.
func (d *Directory) Close() {
	d.stop()
	<-d.done
}

// Add creates an account. It returns an EINVALID-family error naming the
// field (name, role, unit, password) when an input breaks the rules, and
// ECONFLICT if an account with that name exists (disabled ones included:
// a name is never reused, so the log's actor ids stay unambiguous).
func (d *Directory) Add(ctx context.Context, name, unit string, role domain.Role, password string) error {
	name, unit = NormalizeName(name), strings.TrimSpace(unit)
	if err := kvbucket.CheckName(name); err != nil {
		return err
	}
	if err := checkRole(role, unit); err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(password, d.cost)
	if err != nil {
		return fmt.Errorf("staff: add %s: %w", name, err)
	}
	u := User{Name: name, Unit: unit, Role: role, PasswordHash: hash, CreatedAt: d.now().UTC()}
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("staff: add %s: %w", name, err)
	}
	rev, err := d.kv.Create(ctx, name, data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return domain.FieldErrorf(domain.ECONFLICT, "name", "an account named %s exists already", name)
	}
	if err != nil {
		return fmt.Errorf("staff: add %s: %w", name, err)
	}
	d.remember(name, u, rev)
	return nil
}

// Get returns an account, without its password hash. It returns ENOTFOUND
// if there is none.
func (d *Directory) Get(ctx context.Context, name string) (User, error) {
	u, _, err := d.load(ctx, NormalizeName(name))
	return withoutHash(u), err
}

// load reads an account with its hash and KV revision.
func (d *Directory) load(ctx context.Context, name string) (User, uint64, error) {
	if kvbucket.CheckName(name) != nil {
		return User{}, 0, domain.Errorf(domain.ENOTFOUND, "no account named %q", name)
	}
	entry, err := d.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return User{}, 0, domain.Errorf(domain.ENOTFOUND, "no account named %s", name)
	}
	if err != nil {
		return User{}, 0, fmt.Errorf("staff: get %s: %w", name, err)
	}
	var u User
	if err := json.Unmarshal(entry.Value(), &u); err != nil {
		return User{}, 0, fmt.Errorf("staff: get %s: decode: %w", name, err)
	}
	return u, entry.Revision(), nil
}

// List returns every account sorted by name, without password hashes. It
// reads the bucket, not the in-memory copy.
func (d *Directory) List(ctx context.Context) ([]User, error) {
	w, err := d.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("staff: list: %w", err)
	}
	defer w.Stop()
	users := []User{}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("staff: list: %w", ctx.Err())
		case entry, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("staff: list: the watch closed early")
			}
			if entry == nil { // every current value was delivered
				slices.SortFunc(users, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
				return users, nil
			}
			var u User
			if err := json.Unmarshal(entry.Value(), &u); err != nil {
				return nil, fmt.Errorf("staff: list: decode %s: %w", entry.Key(), err)
			}
			users = append(users, withoutHash(u))
		}
	}
}

// Disable marks an account disabled: it can no longer log in, and every
// replica refuses its tokens as soon as its watch delivers the change.
// Disabling a disabled account succeeds. It returns ENOTFOUND if there is
// no such account.
func (d *Directory) Disable(ctx context.Context, name string) error {
	name = NormalizeName(name)
	for attempt := 0; attempt < 5; attempt++ {
		u, rev, err := d.load(ctx, name)
		if err != nil {
			return err
		}
		if u.Disabled {
			d.remember(name, u, rev)
			return nil
		}
		u.Disabled = true
		data, err := json.Marshal(u)
		if err != nil {
			return fmt.Errorf("staff: disable %s: %w", name, err)
		}
		newRev, err := d.kv.Update(ctx, name, data, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue // changed meanwhile: read it again
		}
		if err != nil {
			return fmt.Errorf("staff: disable %s: %w", name, err)
		}
		d.remember(name, u, newRev)
		return nil
	}
	return domain.Errorf(domain.ECONFLICT, "account %s keeps changing; try again", name)
}

// Authenticate checks a name and password and returns the account, without
// its hash. Every failure of the credentials (unknown name, disabled
// account, wrong password) returns ErrBadCredentials after the same bcrypt
// work, so neither the answer nor its timing says whether the name exists.
// Other errors (the bucket unreachable) are returned as they are.
func (d *Directory) Authenticate(ctx context.Context, name, password string) (User, error) {
	name = NormalizeName(name)
	u, _, err := d.load(ctx, name)
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		bcrypt.CompareHashAndPassword(d.dummyHash(), passwordInput(password))
		return User{}, ErrBadCredentials
	case err != nil:
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, passwordInput(password)) != nil || u.Disabled {
		return User{}, ErrBadCredentials
	}
	return withoutHash(u), nil
}

// Active returns an account from the in-memory copy, without its hash, if
// it exists and is not disabled. It costs no network round trip, so it can
// run on every request.
func (d *Directory) Active(name string) (User, bool) {
	name = NormalizeName(name)
	d.mu.RLock()
	c, ok := d.cache[name]
	d.mu.RUnlock()
	if !ok || c.user.Disabled {
		return User{}, false
	}
	return c.user, true
}

// Member returns the unit and role of an active account (cases.Staff):
// work can be assigned only to someone who may still log in.
func (d *Directory) Member(name string) (unit string, role domain.Role, ok bool) {
	u, ok := d.Active(name)
	return u.Unit, u.Role, ok
}

// remember puts an account into the in-memory copy unless the copy already
// holds a later revision of it.
func (d *Directory) remember(name string, u User, rev uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.cache[name]; ok && c.rev >= rev {
		return
	}
	d.cache[name] = cachedUser{user: withoutHash(u), rev: rev}
}

func (d *Directory) forget(name string, rev uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.cache[name]; ok && c.rev < rev {
		delete(d.cache, name)
	}
}

// watch keeps the in-memory copy current, re-establishing the watch if it
// ends. It closes synced once the first full copy is in place.
func (d *Directory) watch(ctx context.Context, synced chan struct{}) {
	defer close(d.done)
	var once sync.Once
	markSynced := func() { once.Do(func() { close(synced) }) }
	backoff := 100 * time.Millisecond
	for {
		restart, err := d.watchOnce(ctx, markSynced)
		if ctx.Err() != nil {
			return
		}
		if restart {
			backoff = 100 * time.Millisecond
		}
		d.log.Warn("staff: the accounts watch ended; restarting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// watchOnce runs one watch until it ends. The first values it delivers are
// every account as it is now; they replace the copy as a whole, so accounts
// removed while no watch ran do not linger. It reports whether it got that
// far.
func (d *Directory) watchOnce(ctx context.Context, synced func()) (bool, error) {
	w, err := d.kv.WatchAll(ctx)
	if err != nil {
		return false, err
	}
	defer w.Stop()
	snapshot := map[string]cachedUser{}
	initial := true
	for entry := range w.Updates() {
		if entry == nil {
			d.replace(snapshot)
			initial = false
			synced()
			continue
		}
		name, rev := entry.Key(), entry.Revision()
		if entry.Operation() != jetstream.KeyValuePut {
			if initial {
				delete(snapshot, name)
			} else {
				d.forget(name, rev)
			}
			continue
		}
		var u User
		if err := json.Unmarshal(entry.Value(), &u); err != nil {
			// An account that cannot be read is treated as absent: fail closed.
			d.log.Error("staff: undecodable account in the bucket", "name", name, "revision", rev, "err", err)
			if initial {
				delete(snapshot, name)
			} else {
				d.forget(name, rev)
			}
			continue
		}
		if initial {
			snapshot[name] = cachedUser{user: withoutHash(u), rev: rev}
		} else {
			d.remember(name, u, rev)
		}
	}
	return !initial, errors.New("watch closed")
}

// replace installs a fresh snapshot, keeping any entry the copy holds at a
// later revision (written here while the snapshot was being read).
func (d *Directory) replace(snapshot map[string]cachedUser) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, c := range d.cache {
		if s, ok := snapshot[name]; ok && c.rev > s.rev {
			snapshot[name] = c
		}
	}
	d.cache = snapshot
}

func withoutHash(u User) User {
	u.PasswordHash = nil
	return u
}
