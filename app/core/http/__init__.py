"""HTTP plumbing every module shares: problem+json errors, middleware, pagination, ETags,
CSV export, rate limiting, client addresses."""
