"""Integration tests of the Stripe emulator, through the official SDK over HTTP."""
