package staff

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"phananh/domain"
	"phananh/kvbucket"
)

// User is a staff account as the USERS bucket stores it (JSON, keyed by Name).
type User struct {
	Name     string      `json:"name"`
	Unit     string      `json:"unit,omitempty"`
	Role     domain.Role `json:"role"`
	Disabled bool        `json:"disabled"`
	// PasswordHash is bcrypt over passwordInput(password), never the password.
	PasswordHash []byte    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
}

// Limits on names and passwords.
const (
	MinNameLen     = kvbucket.MinNameLen
	MaxNameLen     = kvbucket.MaxNameLen
	MinPasswordLen = 10  // characters, not bytes
	MaxPasswordLen = 128 // characters, not bytes
	maxUnitLen     = 64

	// DefaultCost is the bcrypt cost of new password hashes: about a quarter
	// of a second per hash on current hardware, which is what a login can
	// afford and what makes a stolen hash expensive to guess.
	DefaultCost = bcrypt.DefaultCost + 2
)

// unitRequired says, for each staff role, whether an account of that role
// must belong to a unit. Officers, unit heads and Fatherland Front
// supervisors work for one body; coordinators, leaders and administrators
// may act province-wide.
var unitRequired = map[domain.Role]bool{
	domain.RoleOfficer:     true,
	domain.RoleUnitHead:    true,
	domain.RoleSupervisor:  true,
	domain.RoleCoordinator: false,
	domain.RoleLeader:      false,
	domain.RoleAdmin:       false,
}

// Roles lists the roles a staff account may have.
func Roles() []domain.Role {
	return []domain.Role{domain.RoleOfficer, domain.RoleUnitHead, domain.RoleCoordinator,
		domain.RoleSupervisor, domain.RoleLeader, domain.RoleAdmin}
}

// NormalizeName is the form a name is stored and looked up in: trimmed and
// lower-cased, so "An.Nguyen" and "an.nguyen" are one account.
func NormalizeName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// CheckAccount says whether an account with this name, unit and role may
// be added, as Add would, without touching the bucket: a command line can
// refuse a bad role before it asks for a password. The name and unit are
// taken as NormalizeName and trimming would leave them.
func CheckAccount(name, unit string, role domain.Role) error {
	if err := kvbucket.CheckName(NormalizeName(name)); err != nil {
		return err
	}
	return checkRole(role, strings.TrimSpace(unit))
}

// CheckPassword says whether a password meets the rules Add applies.
func CheckPassword(password string) error { return checkPassword(password) }

func checkRole(role domain.Role, unit string) error {
	needsUnit, ok := unitRequired[role]
	if !ok {
		return domain.FieldErrorf(domain.EINVALID, "role", "role %q is not a staff role; use one of officer, unit_head, coordinator, supervisor, leader, admin", role)
	}
	if unit == "" {
		if needsUnit {
			return domain.FieldErrorf(domain.ERequired, "unit", "role %s needs a unit", role)
		}
		return nil
	}
	if len(unit) > maxUnitLen {
		return domain.FieldErrorf(domain.ETooLong, "unit", "a unit code has at most %d characters", maxUnitLen)
	}
	for _, r := range unit {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return domain.FieldErrorf(domain.EINVALID, "unit", "a unit code may hold only letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// checkPassword accepts 10 to 128 characters of valid UTF-8 without control
// characters (a stray "\r" from a Windows pipe would otherwise become part
// of the password).
func checkPassword(password string) error {
	if !utf8.ValidString(password) {
		return domain.FieldErrorf(domain.EInvalidText, "password", "the password is not valid UTF-8")
	}
	n := utf8.RuneCountInString(norm.NFC.String(password))
	if n < MinPasswordLen {
		return domain.FieldErrorf(domain.EINVALID, "password", "a password has at least %d characters", MinPasswordLen)
	}
	if n > MaxPasswordLen {
		return domain.FieldErrorf(domain.ETooLong, "password", "a password has at most %d characters", MaxPasswordLen)
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return domain.FieldErrorf(domain.EInvalidText, "password", "a password may not hold control characters")
		}
	}
	return nil
}

// passwordInput is what bcrypt hashes: base64(SHA-256(NFC(password))).
// bcrypt reads at most 72 bytes, and 128 Vietnamese characters can take
// over 400 bytes of UTF-8; hashing first keeps every character significant.
// NFC makes a password typed with precomposed letters (most keyboards) and
// one typed with combining marks (some Telex/VNI set-ups) the same password.
func passwordInput(password string) []byte {
	sum := sha256.Sum256([]byte(norm.NFC.String(password)))
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum[:])
	return out
}

func hashPassword(password string, cost int) ([]byte, error) {
	return bcrypt.GenerateFromPassword(passwordInput(password), cost)
}
