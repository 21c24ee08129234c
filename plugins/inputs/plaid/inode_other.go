//go:build !unix

package plaid

import "io/fs"

func inodeOf(fs.FileInfo) uint64 { return 0 }
