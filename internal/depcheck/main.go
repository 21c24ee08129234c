package main

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/influxdata/line-protocol/v2/lineprotocol"
	_ "github.com/influxdata/telegraf/plugins/common/shim"
	_ "github.com/influxdata/telegraf/testutil"
	_ "github.com/plaid/plaid-go/v42/plaid"
	_ "go.etcd.io/bbolt"
	_ "github.com/chromedp/chromedp"
	_ "golang.org/x/sys/unix"
	_ "github.com/stretchr/testify/require"
)

func main() {}
