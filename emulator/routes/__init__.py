"""Starlette routes of the emulator, one module per group of Stripe resources."""
