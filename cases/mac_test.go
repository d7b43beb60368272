package cases

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

// TestPooledMACIsTheMAC: a MAC from the pool, reused by goroutines at once,
// is what a fresh hmac.New gives: a state put back mid-use or not reset
// would change every digest and tracking code after it.
func TestPooledMACIsTheMAC(t *testing.T) {
	s, secret := macService()
	want := func(label, data []byte) [sha256.Size]byte {
		m := hmac.New(sha256.New, secret)
		m.Write(label)
		m.Write(data)
		return [sha256.Size]byte(m.Sum(nil))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				label := [][]byte{submissionLabel, trackingLabel}[i%2]
				data := fmt.Appendf(nil, "report %d of goroutine %d", i, g)
				if got := s.mac(label, data); got != want(label, data) {
					errs <- fmt.Errorf("mac(%q, %q) differs from hmac.New's", label, data)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// macService is a Service that can compute digests and tracking codes,
// and its secret.
func macService() (*Service, []byte) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	s := &Service{d: Deps{Secret: secret}}
	s.macs.New = newMAC(secret)
	return s, secret
}
