package deploy_test

import (
	"testing"

	"boxoffice/internal/testbin"
)

// The tests here run the real binary, built once for the package.
func TestMain(m *testing.M) { testbin.Main(m) }
