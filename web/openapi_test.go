package web_test

import (
	"fmt"
	"os"
	"testing"

	"phananh/api"
	"phananh/api/openapitest"
)

// TestMain holds the native API's answers that the browser tests' set-up
// receives (reports filed, logins, actions) to api/openapi.json, as the
// app tests do with theirs.
func TestMain(m *testing.M) {
	tr, err := openapitest.Install(api.OpenAPI())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(tr.Report(m.Run()))
}
