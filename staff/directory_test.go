package staff_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"phananh/domain"
	"phananh/staff"
)

var created = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func clock() time.Time { return created }

// wantError checks that err is a domain error with the code and field.
func wantError(t *testing.T, err error, code domain.Code, field string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a %s error on %q", err, code, field)
	}
	if de.Code != code || de.Field != field {
		t.Fatalf("err = %v (code %s, field %q), want code %s, field %q", err, de.Code, de.Field, code, field)
	}
}

func TestAddGetList(t *testing.T) {
	d := openDirectory(t, connect(t, startServer(t)), staff.WithClock(clock))
	ctx := testContext(t)

	for _, u := range []struct {
		name, unit string
		role       domain.Role
	}{
		{" An.Nguyen ", "ubnd.lao-cai", domain.RoleOfficer},
		{"chi.le", "", domain.RoleAdmin},
		{"binh_tran-2", "", domain.RoleCoordinator},
		{"dung.pham", "mttq.lao-cai", domain.RoleSupervisor},
	} {
		if err := d.Add(ctx, u.name, u.unit, u.role, "mật khẩu đủ dài"); err != nil {
			t.Fatalf("Add(%q): %v", u.name, err)
		}
	}

	got, err := d.Get(ctx, "AN.NGUYEN")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := staff.User{Name: "an.nguyen", Unit: "ubnd.lao-cai", Role: domain.RoleOfficer, CreatedAt: created}
	if got.Name != want.Name || got.Unit != want.Unit || got.Role != want.Role || got.Disabled || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("Get = %+v, want %+v", got, want)
	}
	if got.PasswordHash != nil {
		t.Errorf("Get returned the password hash")
	}
	if _, err := d.Get(ctx, "nobody"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Get(nobody) = %v, want ENOTFOUND", err)
	}
	if _, err := d.Get(ctx, "no body"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Get(an invalid name) = %v, want ENOTFOUND", err)
	}

	users, err := d.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
		if u.PasswordHash != nil {
			t.Errorf("List returned %s's password hash", u.Name)
		}
	}
	if got, want := strings.Join(names, ","), "an.nguyen,binh_tran-2,chi.le,dung.pham"; got != want {
		t.Errorf("List names = %s, want %s (sorted)", got, want)
	}
}

func TestListEmpty(t *testing.T) {
	d := openDirectory(t, connect(t, startServer(t)))
	users, err := d.List(testContext(t))
	if err != nil || len(users) != 0 {
		t.Fatalf("List = %v, %v; want no users", users, err)
	}
}

func TestAddDuplicateName(t *testing.T) {
	d := openDirectory(t, connect(t, startServer(t)))
	ctx := testContext(t)
	if err := d.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, "mật khẩu đủ dài"); err != nil {
		t.Fatal(err)
	}
	err := d.Add(ctx, "An.Nguyen", "ubnd.cam-duong", domain.RoleUnitHead, "another password")
	wantError(t, err, domain.ECONFLICT, "name")

	// A disabled account keeps its name: the log's actor ids stay unambiguous.
	if err := d.Disable(ctx, "an.nguyen"); err != nil {
		t.Fatal(err)
	}
	err = d.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, "mật khẩu đủ dài")
	wantError(t, err, domain.ECONFLICT, "name")
}

func TestAddRefusesBadInput(t *testing.T) {
	d := openDirectory(t, connect(t, startServer(t)))
	ctx := testContext(t)
	good := "mật khẩu đủ dài"
	tests := []struct {
		name      string
		user      string
		unit      string
		role      domain.Role
		password  string
		wantCode  domain.Code
		wantField string
	}{
		{"name too short", "an", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"name too long", strings.Repeat("a", 65), "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"name with a space", "an nguyen", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"name with a letter outside a-z", "nguyễn", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"name with a slash", "an/nguyen", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"name beginning with a dot", ".an", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"name ending with a dash", "an-", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"name with two dots", "an..nguyen", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"empty name", "", "u", domain.RoleOfficer, good, domain.EINVALID, "name"},
		{"unknown role", "an.nguyen", "u", "boss", good, domain.EINVALID, "role"},
		{"citizen is no staff role", "an.nguyen", "u", domain.RoleCitizen, good, domain.EINVALID, "role"},
		{"system is no staff role", "an.nguyen", "", domain.RoleSystem, good, domain.EINVALID, "role"},
		{"officer without unit", "an.nguyen", "", domain.RoleOfficer, good, domain.ERequired, "unit"},
		{"unit head without unit", "an.nguyen", " ", domain.RoleUnitHead, good, domain.ERequired, "unit"},
		{"supervisor without unit", "an.nguyen", "", domain.RoleSupervisor, good, domain.ERequired, "unit"},
		{"unit with a space", "an.nguyen", "ubnd lao cai", domain.RoleOfficer, good, domain.EINVALID, "unit"},
		{"unit too long", "an.nguyen", strings.Repeat("u", 65), domain.RoleOfficer, good, domain.ETooLong, "unit"},
		{"password of 9 characters", "an.nguyen", "u", domain.RoleOfficer, "ngắn quá!", domain.EINVALID, "password"},
		{"password of 129 characters", "an.nguyen", "u", domain.RoleOfficer, strings.Repeat("ư", 129), domain.ETooLong, "password"},
		{"password with a carriage return", "an.nguyen", "u", domain.RoleOfficer, "mật khẩu dài\r", domain.EInvalidText, "password"},
		{"password not UTF-8", "an.nguyen", "u", domain.RoleOfficer, "mật khẩu dài\xff", domain.EInvalidText, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, d.Add(ctx, tt.user, tt.unit, tt.role, tt.password), tt.wantCode, tt.wantField)
		})
	}
	users, err := d.List(ctx)
	if err != nil || len(users) != 0 {
		t.Fatalf("after refused adds, List = %v, %v; want none", users, err)
	}

	// The limits themselves are allowed.
	for _, ok := range []struct {
		user, unit string
		role       domain.Role
		password   string
	}{
		{"abc", "", domain.RoleLeader, strings.Repeat("x", 10)},
		{strings.Repeat("a", 64), "", domain.RoleAdmin, strings.Repeat("ư", 128)},
		{"coordinator.1", "", domain.RoleCoordinator, "mười ký tự"},
	} {
		if err := d.Add(ctx, ok.user, ok.unit, ok.role, ok.password); err != nil {
			t.Errorf("Add(%q, role %s, %d-character password): %v", ok.user, ok.role, len([]rune(ok.password)), err)
		}
	}
}

func TestPasswordIsNeverStoredInPlaintext(t *testing.T) {
	js := connect(t, startServer(t))
	d := openDirectory(t, js)
	ctx := testContext(t)
	password := "Mật khẩu bí mật QZX-7781"
	if err := d.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, password); err != nil {
		t.Fatal(err)
	}
	if err := d.Disable(ctx, "an.nguyen"); err != nil {
		t.Fatal(err)
	}

	kv, err := js.KeyValue(ctx, staff.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	history, err := kv.History(ctx, "an.nguyen")
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 2 {
		t.Fatalf("history has %d revisions, want 2 (added, disabled)", len(history))
	}
	for _, entry := range history {
		value := entry.Value()
		for _, form := range []string{password, strings.ToLower(password), "bí mật", "QZX-7781"} {
			if bytes.Contains(value, []byte(form)) {
				t.Errorf("revision %d holds %q: %s", entry.Revision(), form, value)
			}
		}
		var stored staff.User
		if err := json.Unmarshal(value, &stored); err != nil {
			t.Fatalf("revision %d is not a JSON account: %v", entry.Revision(), err)
		}
		if cost, err := bcrypt.Cost(stored.PasswordHash); err != nil || cost != bcrypt.MinCost {
			t.Errorf("revision %d: stored hash is not bcrypt at the configured cost: cost %d, %v", entry.Revision(), cost, err)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	d := openDirectory(t, connect(t, startServer(t)))
	ctx := testContext(t)
	// Longer than bcrypt's 72 bytes, so the test also shows every character counts.
	long := strings.Repeat("Tranh chấp đất đai ", 6)
	// "ắ" precomposed (NFC), as most keyboards type it.
	nfc := "Bắc Hà, Lào Cai"
	for _, u := range []struct{ name, password string }{
		{"an.nguyen", "mật khẩu đủ dài"}, {"binh.tran", long}, {"chi.le", nfc}, {"dung.pham", "khóa tài khoản"},
	} {
		if err := d.Add(ctx, u.name, "ubnd.lao-cai", domain.RoleOfficer, u.password); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Disable(ctx, "dung.pham"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		user     string
		password string
		wantErr  bool
	}{
		{"right password", "an.nguyen", "mật khẩu đủ dài", false},
		{"name in another case", "  AN.Nguyen", "mật khẩu đủ dài", false},
		{"wrong password", "an.nguyen", "mật khẩu đủ dàI", true},
		{"password with a trailing space", "an.nguyen", "mật khẩu đủ dài ", true},
		{"empty password", "an.nguyen", "", true},
		{"unknown name", "khong.co.ai", "mật khẩu đủ dài", true},
		{"invalid name", "../etc", "mật khẩu đủ dài", true},
		{"long password", "binh.tran", long, false},
		{"long password differing after 72 bytes", "binh.tran", long[:len(long)-2] + "X ", true},
		{"the same password with combining marks (NFD)", "chi.le", "Ba\u0306\u0301c Ha\u0300, La\u0300o Cai", false},
		{"disabled account with its right password", "dung.pham", "khóa tài khoản", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := d.Authenticate(ctx, tt.user, tt.password)
			if tt.wantErr {
				if !errors.Is(err, staff.ErrBadCredentials) {
					t.Fatalf("Authenticate = %+v, %v; want ErrBadCredentials", u, err)
				}
				if err != staff.ErrBadCredentials {
					t.Errorf("err = %v: a failed login returns ErrBadCredentials itself, with no detail", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if u.Name != staff.NormalizeName(tt.user) || u.Role != domain.RoleOfficer || u.Unit != "ubnd.lao-cai" {
				t.Errorf("Authenticate = %+v", u)
			}
			if u.PasswordHash != nil {
				t.Errorf("Authenticate returned the password hash")
			}
		})
	}
}

func TestDisable(t *testing.T) {
	d := openDirectory(t, connect(t, startServer(t)))
	ctx := testContext(t)
	if err := d.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, "mật khẩu đủ dài"); err != nil {
		t.Fatal(err)
	}
	u, ok := d.Active("an.nguyen")
	if !ok || u.Role != domain.RoleOfficer || u.Unit != "ubnd.lao-cai" || u.PasswordHash != nil {
		t.Fatalf("Active after Add = %+v, %v", u, ok)
	}
	if err := d.Disable(ctx, "AN.NGUYEN"); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	// The replica that disabled the account refuses it at once, without waiting for its watch.
	if u, ok := d.Active("an.nguyen"); ok {
		t.Errorf("Active right after Disable = %+v, want refused", u)
	}
	got, err := d.Get(ctx, "an.nguyen")
	if err != nil || !got.Disabled {
		t.Errorf("Get after Disable = %+v, %v; want disabled", got, err)
	}
	if err := d.Disable(ctx, "an.nguyen"); err != nil {
		t.Errorf("disabling twice: %v, want success", err)
	}
	if err := d.Disable(ctx, "khong.co.ai"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Disable(unknown) = %v, want ENOTFOUND", err)
	}
	users, err := d.List(ctx)
	if err != nil || len(users) != 1 || !users[0].Disabled {
		t.Errorf("List after Disable = %+v, %v", users, err)
	}
	if _, ok := d.Active("khong.co.ai"); ok {
		t.Errorf("Active(unknown) = true")
	}
}

func TestAnotherReplicaSeesChangesThroughItsWatch(t *testing.T) {
	url := startServer(t)
	first := openDirectory(t, connect(t, url))
	ctx := testContext(t)
	if err := first.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, "mật khẩu đủ dài"); err != nil {
		t.Fatal(err)
	}

	// A replica that starts later knows the account as soon as Open returns.
	second := openDirectory(t, connect(t, url))
	if _, ok := second.Active("an.nguyen"); !ok {
		t.Fatalf("a Directory opened after Add does not know the account")
	}

	// Changes made on one replica reach the other through its watch.
	if err := first.Add(ctx, "binh.tran", "ubnd.cam-duong", domain.RoleUnitHead, "mật khẩu đủ dài"); err != nil {
		t.Fatal(err)
	}
	checkFor(t, time.Second, 5*time.Millisecond, func() error {
		if _, ok := second.Active("binh.tran"); !ok {
			return fmt.Errorf("binh.tran not active on the second replica")
		}
		return nil
	})
	start := time.Now()
	if err := first.Disable(ctx, "an.nguyen"); err != nil {
		t.Fatal(err)
	}
	checkFor(t, time.Second, 5*time.Millisecond, func() error {
		if _, ok := second.Active("an.nguyen"); ok {
			return fmt.Errorf("an.nguyen still active on the second replica %s after Disable", time.Since(start))
		}
		return nil
	})
	if _, ok := second.Active("binh.tran"); !ok {
		t.Errorf("disabling one account refused another")
	}
}

func TestOpenWithoutReplicasUsesTheBucketAsItIs(t *testing.T) {
	js := connect(t, startServer(t))
	ctx := testContext(t)
	// An administrator's command line (replicas 0) creates the bucket if missing...
	cli, err := staff.Open(ctx, js, 0, staff.WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatalf("Open(replicas 0) on an empty server: %v", err)
	}
	defer cli.Close()
	if err := cli.Add(ctx, "an.nguyen", "", domain.RoleAdmin, "mật khẩu đủ dài"); err != nil {
		t.Fatal(err)
	}
	// ...and a server replica opening it afterwards finds the account.
	srv := openDirectory(t, js)
	if _, ok := srv.Active("an.nguyen"); !ok {
		t.Errorf("the server does not see the account the command line added")
	}
	kv, err := js.KeyValue(ctx, staff.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := status.History(), int64(5); got != want {
		t.Errorf("bucket history = %d, want %d", got, want)
	}
}

func TestOpenRefusesABadCost(t *testing.T) {
	js := connect(t, startServer(t))
	if _, err := staff.Open(testContext(t), js, 1, staff.WithCost(3)); err == nil {
		t.Fatal("Open with bcrypt cost 3 succeeded")
	}
}
