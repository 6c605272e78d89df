"""The outside world behind the domain's ports: Stripe, the event stores, the runners."""
