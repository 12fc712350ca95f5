//go:build !linux

package jit

import (
	"errors"
	"os"
	"time"
)

var start = time.Now()

func monoNow() int64 { return int64(time.Since(start)) }

func gettid() int { return 0 }

func mapForPerf(*os.File) ([]byte, error) {
	return nil, errors.New("jitdump needs Linux (perf)")
}

func unmapForPerf([]byte) {}
