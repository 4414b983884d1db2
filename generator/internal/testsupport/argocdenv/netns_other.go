//go:build !linux

package argocdenv

import "errors"

const inNetns = "LAB_TEST_NETNS"

func reexecInNetns() (int, error) { return 0, errors.New("network namespaces are Linux only") }

func loopbackUp() error { return nil }
