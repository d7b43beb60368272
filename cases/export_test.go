package cases

import "phananh/domain"

// DigestV1 exposes the first form of digest to the external tests, which
// file reports as the code before the second form did.
func DigestV1(s *Service, cmd domain.SubmitReport) string { return s.digestV1(cmd) }
