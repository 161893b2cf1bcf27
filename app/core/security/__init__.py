"""Who the caller is and what they may do: password hashing and tokens, the principal, the
permission registry and `require()`."""
