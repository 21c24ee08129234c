package main

// Exit statuses, the same in linktool (see the READMEs):
const (
	exitOK          = 0   // done; every bank synced
	exitFailed      = 1   // a bank or Plaid failed, or no bank is linked (-once)
	exitUsage       = 2   // a wrong flag or a configuration the program cannot use
	exitInterrupted = 130 // SIGINT or SIGTERM ended it first (128 + SIGINT)
)
